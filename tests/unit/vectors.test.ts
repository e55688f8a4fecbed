import { describe, expect, it } from 'vitest';
import { loadVectors, vector } from '../helpers/vectors';
import {
  verifyMessage,
  claimedTrackerKey,
  sameKey,
  parsePublicKey,
  checkAddress,
  commonAddressOf,
  verifySinglePayload,
  verifyDoublePayload,
} from '../../shared/crypto';
import { ProtocolError, PEM_MESSAGE_CMDS, type CmdCode } from '../../shared/protocol';

/** The verdict table of fixtures/vectors/README.md. */
const REQUEST_VALID: Record<number, boolean> = {
  1: true,
  2: true,
  4: true,
  8: false,
  16: true,
  32: true,
  64: true,
  128: true,
  256: true,
  512: true,
  1024: true,
  2048: true,
  4096: true,
  8192: true,
};
const RESPONSE_VALID: Record<number, boolean> = {
  1: true,
  2: false,
  4: false,
  8: false,
  16: true,
  32: true,
  64: true,
  128: true,
  256: true,
  512: true,
  1024: true,
  2048: true,
  4096: true,
  8192: true,
};

/** 1024/2048 carry no pk: their key is the tracker key of 128/256 (items[0].pk). */
function responseKey(cmd: number, message: string): string {
  const claimed = claimedTrackerKey(cmd, message);
  if (claimed) return claimed;
  const items = (JSON.parse(message) as { items: { pk: string }[] }).items;
  const fromItems = items[0]?.pk;
  if (!fromItems) throw new Error('no key');
  return fromItems;
}

describe('documented vectors', () => {
  const vectors = loadVectors();
  it('has all 14 commands', () => {
    expect(vectors.map((v) => v.cmd)).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
    ]);
  });

  for (const v of vectors) {
    it(`${v.file}: request signature(s) ${REQUEST_VALID[v.cmd] ? 'valid' : 'invalid'}`, () => {
      if ('fromSign' in v.request) {
        const { message, fromPK, fromSign, toPK, toSign } = v.request as Record<string, string>;
        const verdict =
          verifyMessage(message!, fromSign!, fromPK!) && verifyMessage(message!, toSign!, toPK!);
        expect(verdict).toBe(REQUEST_VALID[v.cmd]);
        if (v.cmd === 16) {
          expect(verifyMessage(message!, fromSign!, fromPK!)).toBe(true);
          expect(verifyMessage(message!, toSign!, toPK!)).toBe(true);
        } else {
          expect(verifyMessage(message!, fromSign!, fromPK!)).toBe(false);
          expect(verifyMessage(message!, toSign!, toPK!)).toBe(false);
        }
      } else {
        const { message, pk, sign } = v.request as Record<string, string>;
        expect(verifyMessage(message!, sign!, pk!)).toBe(REQUEST_VALID[v.cmd]);
      }
    });

    it(`${v.file}: response signature ${RESPONSE_VALID[v.cmd] ? 'valid' : 'invalid'}`, () => {
      const key =
        v.cmd === 1024 || v.cmd === 2048 ? vector(128).request.pk! : responseKey(v.cmd, v.response.message);
      if (v.cmd === 1024 || v.cmd === 2048) {
        expect(claimedTrackerKey(v.cmd, v.response.message)).toBeNull();
        // The README: valid with the tracker key of 128/256, i.e. items[0].pk.
        const itemsKey = responseKey(v.cmd, v.response.message);
        expect(verifyMessage(v.response.message, v.response.sign, itemsKey)).toBe(true);
        expect(key).toBeTruthy();
        return;
      }
      expect(verifyMessage(v.response.message, v.response.sign, key)).toBe(RESPONSE_VALID[v.cmd]);
    });
  }

  it('invalid response signatures of 02/04/08 are made by no key in the set', () => {
    const keys = new Set<string>();
    for (const v of vectors) {
      for (const k of ['pk', 'fromPK', 'toPK'] as const) if (v.request[k]) keys.add(v.request[k]);
      const claimed = claimedTrackerKey(v.cmd, v.response.message);
      if (claimed) keys.add(claimed);
    }
    for (const cmd of [2, 4, 8]) {
      const v = vector(cmd);
      for (const k of keys) {
        let ok = false;
        try {
          ok = verifyMessage(v.response.message, v.response.sign, k);
        } catch {
          ok = false;
        }
        expect(ok).toBe(false);
      }
    }
  });

  it('08: the inner fromPK reads END PUBLICKEY and fails to parse as a key', async () => {
    const inner = JSON.parse(vector(8).request.message!) as { fromPK: string };
    expect(inner.fromPK).toContain('END PUBLICKEY');
    expect(() => parsePublicKey(inner.fromPK)).toThrow(ProtocolError);
    await expect(verifyDoublePayload(vector(8).request)).rejects.toThrowError(/fromSign does not verify/);
  });

  it('16: the two-signer payload verifies as a whole', async () => {
    const r = await verifyDoublePayload(vector(16).request);
    expect(r.body.tokens).toBe('2000');
    expect(r.body.volume).toBe(1572864);
  });

  it('one-signer payloads of every valid request pass the full check', async () => {
    for (const v of vectors) {
      if (!REQUEST_VALID[v.cmd] || 'fromSign' in v.request) continue;
      const r = await verifySinglePayload(v.request, PEM_MESSAGE_CMDS.includes(v.cmd as CmdCode));
      expect(r.signer.der.length).toBeGreaterThan(200);
    }
  });

  it('compares keys by DER: with and without trailing newline', () => {
    const withNl = vector(2).request.pk!;
    const without = JSON.parse(vector(16).request.message!).toPK as string;
    expect(withNl.endsWith('\n')).toBe(true);
    expect(without.endsWith('\n')).toBe(false);
    expect(withNl).not.toBe(without);
    expect(sameKey(withNl, without)).toBe(true);
    expect(sameKey(withNl, vector(4).request.pk!)).toBe(false);
  });

  it('a Go-escaped message verifies only as sent (re-serialising breaks it)', () => {
    const v = vector(1024);
    expect(v.response.message).toContain('\\u003e');
    const reserialised = JSON.stringify(JSON.parse(v.response.message));
    expect(reserialised).not.toBe(v.response.message);
    const key = responseKey(1024, v.response.message);
    expect(verifyMessage(reserialised, v.response.sign, key)).toBe(false);
  });

  it('legacy 44-character addresses are valid; the 8192 common address checksum verifies', () => {
    const legacy = JSON.parse(vector(64).request.message!).address as string;
    expect(legacy).toHaveLength(44);
    expect(checkAddress(legacy, 'spend')).toMatchObject({ valid: true, legacy: true });
    const common = JSON.parse(vector(8192).request.message!).address as string;
    expect(common.slice(4, 20)).toBe('117d3c25485e5b28');
    expect(checkAddress(common, 'common')).toMatchObject({ valid: true, legacy: false });
    const broken = common.slice(0, 4) + '117d3c25485e5b29' + common.slice(20);
    expect(checkAddress(broken).valid).toBe(false);
    expect(checkAddress(legacy, 'income').valid).toBe(false);
  });

  it('derives a checksummed common address that validates', () => {
    const pk = vector(2).request.pk!;
    const addr = commonAddressOf(pk);
    expect(addr.startsWith('0x0b')).toBe(true);
    expect(checkAddress(addr, 'common').valid).toBe(true);
  });
});
