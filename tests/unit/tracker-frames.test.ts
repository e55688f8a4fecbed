/**
 * Frame parsing, correlation, error mapping, response verification and result parsing of the
 * tracker client, with the original server's documented messages (fixtures/vectors).
 */
import { describe, expect, it } from 'vitest';
import { vector } from '../helpers/vectors';
import { claimedTrackerKey, sameKey } from '../../shared/crypto';
import {
  channelStateResult,
  closeAddressResult,
  commonStateResult,
  nextTransactionsResult,
  openTransferResult,
  pkResult,
} from '../../shared/protocol/schemas';
import {
  correlationKeys,
  parseIncomingFrame,
  trackerErrorOf,
  verifyHandshakeData,
  verifyResponseData,
} from '../../electron/services/tracker/frames';
import {
  parseAddressState,
  parseResult,
  parseTransactionsPage,
} from '../../electron/services/tracker/commands';
import { TrackerError } from '../../electron/services/tracker/errors';
import { retryPolicyOf } from '../../electron/services/tracker/session';

/** The tracker instance keys of the vectors (see fixtures/vectors/README.md). */
const K0 = vector(1).response.message; // cmd 1, 16, 512, 4096
const K3 = claimedTrackerKey(128, vector(128).response.message)!; // cmd 128, 256, 1024, 2048
const ownKey = (cmd: number): string => claimedTrackerKey(cmd, vector(cmd).response.message)!;

const exData = { beforeCreate: 1541000000000000000, created: 1541000000000100000 };

function thrown(f: () => unknown): TrackerError {
  try {
    f();
  } catch (e) {
    if (e instanceof TrackerError) return e;
    throw e;
  }
  throw new Error('expected a TrackerError');
}

describe('incoming frames', () => {
  it('accepts a success frame without cmd (original server)', () => {
    const data = vector(512).response;
    const f = parseIncomingFrame(JSON.stringify({ corrToken: 'c1.7', data, exData }));
    expect(f).toEqual({ kind: 'success', corrToken: 'c1.7', cmd: undefined, data, exData });
    expect(correlationKeys(f)).toEqual(['c1.7']);
  });

  it('accepts our success frame with cmd', () => {
    const data = vector(4096).response;
    const f = parseIncomingFrame(JSON.stringify({ cmd: 4096, corrToken: 't', data }));
    expect(f).toMatchObject({ kind: 'success', cmd: 4096, data });
  });

  it('keeps Go-escaped messages byte for byte, so they still verify', () => {
    const data = vector(1024).response;
    expect(data.message).toContain('\\u003e');
    const f = parseIncomingFrame(JSON.stringify({ corrToken: 'x', data }));
    if (f.kind !== 'success') throw new Error('not a success frame');
    expect(f.data.message).toBe(data.message);
    expect(verifyResponseData(1024, f.data, K3)).toEqual({ ok: true });
    const reserialised = { ...f.data, message: JSON.stringify(JSON.parse(f.data.message)) };
    expect(verifyResponseData(1024, reserialised, K3).ok).toBe(false);
  });

  it('decodes Go-style escapes in the frame itself as plain JSON', () => {
    const text =
      '{"corrToken":"c1.2","data":"","error":"BAD_ADDRESS: \\u003cnot an address\\u003e \\u0026 more"}';
    const f = parseIncomingFrame(text);
    if (f.kind !== 'error') throw new Error('not an error frame');
    const e = trackerErrorOf(f.error, 256);
    expect(e.code).toBe('BAD_ADDRESS');
    expect(e.message).toBe('<not an address> & more');
  });

  it('correlates an original error frame (data = exData JSON string) by corrToken', () => {
    const f = parseIncomingFrame(
      JSON.stringify({ corrToken: 'c2.9', data: JSON.stringify(exData), error: 'address not found', exData }),
    );
    expect(f.kind).toBe('error');
    expect(correlationKeys(f)[0]).toBe('c2.9');
    const e = trackerErrorOf((f as { error: string }).error, 128);
    expect(e.code).toBe('TRACKER_ERROR');
    expect(e.message).toBe('address not found');
    expect(e.cmd).toBe(128);
    expect(e.fromTracker).toBe(true);
  });

  it('correlates an error frame without corrToken by data', () => {
    const f = parseIncomingFrame(JSON.stringify({ data: 'c3.1', error: 'NOT_OWNER: not yours' }));
    expect(correlationKeys(f)).toEqual(['c3.1']);
    const e = trackerErrorOf('NOT_OWNER: not yours');
    expect([e.code, e.message]).toEqual(['NOT_OWNER', 'not yours']);
  });

  it("our tracker's error frames: corrToken echoed in both places; a bad frame's text matches nothing", () => {
    const ours = parseIncomingFrame(
      JSON.stringify({ corrToken: 'c1.1', data: 'c1.1', error: 'EXPIRED: too late', exData }),
    );
    expect(correlationKeys(ours)).toEqual(['c1.1']);
    const badFrame = parseIncomingFrame(
      JSON.stringify({ corrToken: '', data: '{oops', error: 'BAD_FRAME: x' }),
    );
    expect(correlationKeys(badFrame)).toEqual(['{oops']);
  });

  it('classifies garbage as invalid without throwing', () => {
    for (const text of [
      'not json',
      '[]',
      'null',
      '42',
      '{}',
      '{"corrToken":"x"}',
      '{"error":5}',
      '{"data":{}}',
    ]) {
      const f = parseIncomingFrame(text);
      expect(f.kind, text).toBe('invalid');
      expect(correlationKeys(f)).toEqual([]);
    }
  });

  it('maps unknown codes to TRACKER_ERROR with the whole text', () => {
    const e = trackerErrorOf('SOMETHING_NEW: details');
    expect(e.code).toBe('TRACKER_ERROR');
    expect(e.message).toBe('SOMETHING_NEW: details');
  });
});

describe('response verification with the pinned key', () => {
  /** README verdicts, each with its instance's key pinned. */
  const cases: [number, string, boolean][] = [
    [1, K0, true],
    [2, ownKey(2), false],
    [4, ownKey(4), false],
    [8, ownKey(8), false],
    [16, K0, true],
    [32, ownKey(32), true],
    [64, ownKey(64), true],
    [128, K3, true],
    [256, K3, true],
    [512, K0, true],
    [1024, K3, true],
    [2048, K3, true],
    [4096, K0, true],
    [8192, ownKey(8192), true],
  ];
  for (const [cmd, pinned, valid] of cases) {
    it(`cmd ${cmd}: ${valid ? 'valid' : 'invalid'}`, () => {
      expect(verifyResponseData(cmd, vector(cmd).response, pinned).ok).toBe(valid);
    });
  }

  it('refuses a valid signature by another tracker than the pinned one', () => {
    expect(verifyResponseData(512, vector(512).response, K3)).toEqual({
      ok: false,
      reason: expect.stringContaining('other than the pinned'),
    });
    expect(verifyResponseData(128, vector(128).response, K0).ok).toBe(false);
  });

  it('1024/2048 carry no pk and verify with the pinned key only', () => {
    expect(claimedTrackerKey(2048, vector(2048).response.message)).toBeNull();
    expect(verifyResponseData(2048, vector(2048).response, K0).ok).toBe(false);
    // A pk-less message under another command is refused: it names no key.
    expect(verifyResponseData(128, vector(2048).response, K3)).toEqual({
      ok: false,
      reason: 'the response names no tracker key',
    });
  });

  it('refuses a flipped signature byte', () => {
    const d = vector(512).response;
    const flipped = { ...d, sign: (d.sign[0] === 'A' ? 'B' : 'A') + d.sign.slice(1) };
    expect(verifyResponseData(512, flipped, K0).ok).toBe(false);
  });

  it('handshake: the message is a key that signed itself; pinned in canonical form', () => {
    const d = vector(1).response;
    const v = verifyHandshakeData(d);
    if (!v.ok) throw new Error(v.reason);
    expect(v.key.endsWith('-----END PUBLIC KEY-----\n')).toBe(true);
    expect(sameKey(v.key, d.message)).toBe(true);
    expect(verifyHandshakeData({ ...d, sign: vector(16).response.sign })).toMatchObject({
      ok: false,
      code: 'BAD_RESPONSE_SIGNATURE',
    });
    expect(verifyHandshakeData({ message: 'hello', sign: d.sign })).toMatchObject({
      ok: false,
      code: 'BAD_RESPONSE',
    });
  });
});

describe('result parsing (lenient for the original server)', () => {
  it('address state: timelock → timeLock, numeric amounts → decimal strings', () => {
    const s = parseAddressState(vector(128).response.message, 128);
    expect(s.timeLock).toBe(1530786720750);
    expect(s.current).toEqual({ amount: '0', quantumVolume: '0', volume: '0' });
    expect(s.price).toEqual({ amount: '900', quantumPower: 20 });
    const opened = parseAddressState(vector(2).response.message, 2);
    expect(opened.lifetime).toBe(1799996);
    expect(opened.timeLock).toBe(1532519081134);
  });

  it('address state for another address than asked is BAD_RESPONSE', () => {
    const e = thrown(() => parseAddressState(vector(256).response.message, 256, '0x0cSomethingElse'));
    expect(e.code).toBe('BAD_RESPONSE');
  });

  it('open transfer, close address, channel, common, pk-only and history results', () => {
    expect(parseResult(openTransferResult, vector(8).response.message, 8)).toMatchObject({
      timeLock: 1532517581249,
      lifetime: 299994,
    });
    expect(parseResult(closeAddressResult, vector(32).response.message, 32).state).toEqual({
      amount: '0',
      quantumVolume: '0',
      volume: '0',
    });
    expect(parseResult(closeAddressResult, vector(64).response.message, 64).state.amount).toMatch(/^\d+$/);
    expect(parseResult(channelStateResult, vector(512).response.message, 512)).toMatchObject({
      channelId: 'test4904',
      state: 4,
    });
    expect(parseResult(commonStateResult, vector(8192).response.message, 8192).state.own).toEqual({
      fact: '2000',
      plan: '0',
    });
    expect(sameKey(parseResult(pkResult, vector(4096).response.message, 4096).pk, K0)).toBe(true);
    const page = parseTransactionsPage(vector(1024).response.message);
    expect(page.meta).toEqual({
      cursorId: 'f654a892-98cd-48a2-8209-cbd2a0f77401',
      totalCount: 5,
      pageCount: 5,
      currentPage: 1,
      perPage: 1,
    });
    expect(page.items).toHaveLength(1);
    expect(parseResult(nextTransactionsResult, vector(2048).response.message, 2048).items.length).toBe(1);
  });

  it('malformed results are BAD_RESPONSE', () => {
    expect(thrown(() => parseResult(pkResult, 'not json', 4096)).code).toBe('BAD_RESPONSE');
    expect(thrown(() => parseAddressState('{"address":"x"}', 256)).code).toBe('BAD_RESPONSE');
    expect(
      thrown(() => parseResult(channelStateResult, '{"channelId":"a","state":3,"pk":"p"}', 512)).code,
    ).toBe('BAD_RESPONSE');
    expect(
      thrown(() =>
        parseAddressState(vector(128).response.message.replace('"amount":"900"', '"amount":"-1"'), 128),
      ).code,
    ).toBe('BAD_RESPONSE');
  });
});

describe('retry policy', () => {
  it('never repeats opens and address closes; everything else is safe', () => {
    expect([2, 4, 32, 64].map(retryPolicyOf)).toEqual(['never', 'never', 'never', 'never']);
    expect([1, 8, 16, 128, 256, 512, 1024, 2048, 4096, 8192].every((c) => retryPolicyOf(c) === 'safe')).toBe(
      true,
    );
  });
});
