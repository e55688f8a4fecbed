/**
 * The identities service on its own (an in-memory settings store, passphrase protection): what an
 * import refuses and how it says so, and names that stay distinct.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { Identities } from '../../electron/services/identities/service';
import { AppSettings, type SettingsStoreLike } from '../../electron/services/settings/store';
import { generateRsaKeyPair } from '../../shared/crypto/keys';

const PASS = 'correct horse battery';

function memoryStore(): SettingsStoreLike {
  const data = new Map<string, unknown>();
  return { get: (k) => data.get(k), set: (k, v) => void data.set(k, v) };
}

const identities = () => new Identities(new AppSettings(memoryStore()), null);
/** Key generation and sealing (scrypt) take CPU: generous on a machine busy with other work. */
const SLOW = 60_000;

describe('identity import', () => {
  it(
    'defect 3: a public key pasted as a private key is refused as a public key',
    () => {
      const { publicPem } = generateRsaKeyPair();
      expect(() => identities().import('Pub', publicPem, undefined, PASS)).toThrow(
        expect.objectContaining({ code: 'NOT_PRIVATE_KEY' }),
      );
    },
    SLOW,
  );

  it(
    'defect 3: a 1024-bit private key is refused as too short, with its size',
    () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(() => identities().import('Short', pem, undefined, PASS)).toThrow(
        expect.objectContaining({ code: 'KEY_TOO_SHORT', message: expect.stringContaining('1024') }),
      );
    },
    SLOW,
  );

  it(
    'imports a 2048-bit key',
    () => {
      const ids = identities();
      const info = ids.import('Fine', generateRsaKeyPair().privatePem, undefined, PASS);
      expect(ids.list().map((i) => i.id)).toEqual([info.id]);
    },
    SLOW,
  );
});

describe('identity names', () => {
  it(
    'defect 15: a second identity of the same name is refused, on create, import and rename',
    () => {
      const spare = generateRsaKeyPair().privatePem;
      const ids = identities();
      const alice = ids.create('Alice', PASS);
      const bob = ids.create('Bob', PASS);
      expect(() => ids.create(' alice ', PASS)).toThrow(expect.objectContaining({ code: 'DUPLICATE_NAME' }));
      expect(() => ids.import('ALICE', spare, undefined, PASS)).toThrow(
        expect.objectContaining({ code: 'DUPLICATE_NAME' }),
      );
      expect(() => ids.rename(bob.id, 'Alice')).toThrow(expect.objectContaining({ code: 'DUPLICATE_NAME' }));
      // Renaming to its own name (another case) is no conflict.
      expect(ids.rename(alice.id, 'ALICE').name).toBe('ALICE');
      expect(ids.list().map((i) => i.name)).toEqual(['ALICE', 'Bob']);
    },
    SLOW,
  );
});
