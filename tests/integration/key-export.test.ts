/**
 * Exported key files: encrypted PKCS#8 with PBKDF2-HMAC-SHA256 at 600,000 iterations and
 * AES-256-CBC (before: OpenSSL's default 2,048 iterations), readable by the `openssl` binary, by
 * Node and by the app's own import; exporting asks for the identity's passphrase again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPORT_PBKDF2_ITERATIONS, exportEncryptedPkcs8 } from '../../electron/services/identities/key-file';
import { generateRsaKeyPair, normalizePem, parsePrivateKey } from '../../shared/crypto/keys';
import { startApp, type TestApp } from '../helpers/backend';

const PASS = 'correct horse battery';
const EXPORT_PASS = 'export pässphrase ✓';
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl) console.log('key-export: the openssl binary is missing here, its checks are skipped');

function openssl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, {
    input,
    env: { ...process.env, WT_PASS: EXPORT_PASS },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('exported key files', () => {
  let dir: string;
  let pair: { privatePem: string; publicPem: string };
  let exported: string;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wt-key-export-'));
    pair = generateRsaKeyPair();
    exported = await exportEncryptedPkcs8(parsePrivateKey(pair.privatePem), EXPORT_PASS);
    file = join(dir, 'key.pem');
    writeFileSync(file, exported, { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is an encrypted PKCS#8 PEM that Node opens with the passphrase only', () => {
    expect(exported).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(exported).not.toContain('Proc-Type');
    const key = createPrivateKey({ key: exported, passphrase: EXPORT_PASS });
    expect(key.export({ type: 'pkcs8', format: 'pem' }).toString()).toBe(pair.privatePem);
    expect(() => createPrivateKey({ key: exported, passphrase: 'another passphrase' })).toThrow();
  });

  it.skipIf(!hasOpenssl)('uses PBES2 with PBKDF2-HMAC-SHA256, 600,000 iterations and AES-256-CBC', () => {
    expect(EXPORT_PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000);
    const dump = openssl(['asn1parse', '-in', file]).stdout;
    expect(dump).toContain(':PBES2');
    expect(dump).toContain(':PBKDF2');
    expect(dump).toContain(':hmacWithSHA256');
    expect(dump).toContain(':aes-256-cbc');
    // The iteration count is the INTEGER after the salt: 600000 = 0x0927C0.
    expect(dump).toMatch(/INTEGER\s+:0927C0/);
  });

  it.skipIf(!hasOpenssl)('opens with `openssl pkey` and the passphrase, and not without it', () => {
    const ok = openssl(['pkey', '-in', file, '-passin', 'env:WT_PASS', '-pubout']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(normalizePem(ok.stdout)).toBe(normalizePem(pair.publicPem));
    const wrong = spawnSync(
      'openssl',
      ['pkey', '-in', file, '-passin', 'pass:not the passphrase', '-noout'],
      {
        encoding: 'utf8',
      },
    );
    expect(wrong.status).not.toBe(0);
  });

  it.skipIf(!hasOpenssl)('reads a key that openssl encrypted the same way (the import side)', () => {
    const plain = join(dir, 'plain.pem');
    writeFileSync(plain, pair.privatePem, { mode: 0o600 });
    const pem = execFileSync(
      'openssl',
      [
        'pkcs8',
        '-topk8',
        '-in',
        plain,
        '-v2',
        'aes-256-cbc',
        '-v2prf',
        'hmacWithSHA256',
        '-iter',
        '600000',
      ].concat(['-passout', 'env:WT_PASS']),
      { env: { ...process.env, WT_PASS: EXPORT_PASS }, encoding: 'utf8' },
    );
    expect(parsePrivateKey(pem, EXPORT_PASS).export({ type: 'pkcs8', format: 'pem' }).toString()).toBe(
      pair.privatePem,
    );
  });

  describe('through the API', () => {
    let app: TestApp;
    let id: string;

    beforeAll(async () => {
      app = await startApp({ watch: false });
      id = (await app.call('identities.create', { name: 'Alice', passphrase: PASS })).id;
    });
    afterAll(async () => {
      await app?.close();
    });

    it('asks for the identity’s passphrase again, even while it is unlocked', async () => {
      expect((await app.call('identities.list', {}))[0]!.unlocked).toBe(true);
      await expect(
        app.call('identities.export', { id, exportPassphrase: EXPORT_PASS }),
      ).rejects.toMatchObject({
        code: 'PASSPHRASE_REQUIRED',
      });
      await expect(
        app.call('identities.export', { id, passphrase: 'not my passphrase', exportPassphrase: EXPORT_PASS }),
      ).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
    });

    it('exports a locked identity with its passphrase; the file imports into another app', async () => {
      await app.call('identities.lock', { id });
      const file = await app.call('identities.export', {
        id,
        passphrase: PASS,
        exportPassphrase: EXPORT_PASS,
      });
      expect(file.fileName).toBe('Alice.key.pem');
      expect(file.content).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
      expect((await app.call('identities.list', {}))[0]!.unlocked).toBe(false);

      const other = await startApp({ watch: false });
      try {
        const imported = await other.call('identities.import', {
          name: 'Alice again',
          pem: file.content,
          pemPassphrase: EXPORT_PASS,
          passphrase: PASS,
        });
        const original = (await app.call('identities.list', {}))[0]!;
        expect(imported.fingerprint).toBe(original.fingerprint);
      } finally {
        await other.close();
      }
    });
  });
});
