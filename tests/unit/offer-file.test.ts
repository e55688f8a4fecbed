/**
 * Offer and receipt files (electron/services/channels/offer-file.ts): every refusal, with its code,
 * and what a sound file reads as. Real RSA keys and real address derivation; no tracker needed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { channelAddressOf, commonAddressOf } from '../../shared/crypto/address';
import { generateRsaKeyPair, parsePrivateKey } from '../../shared/crypto/keys';
import { signMessage } from '../../shared/crypto/sign';
import type { Signer } from '../../shared/crypto/signed-payload';
import {
  countersignTransferFile,
  createTransferFile,
  parseTransferFile,
  reviewTransferFile,
  serializeTransferFile,
  type ReviewContext,
  type TransferFile,
} from '../../electron/services/channels/offer-file';
import { closeMessage, openMessage, type Contract } from '../../electron/services/channels/messages';

const NOW = Date.UTC(2025, 0, 1);
const TRACKER = 'aaaa:bbbb';

let payer: Signer;
let payee: Signer;
let stranger: Signer;
let tracker: string;
let contract: Contract;

function signer(): Signer {
  const { publicPem, privatePem } = generateRsaKeyPair();
  return { publicPem, privateKey: parsePrivateKey(privatePem) };
}

beforeAll(() => {
  [payer, payee, stranger] = [signer(), signer(), signer()];
  tracker = generateRsaKeyPair().publicPem;
  contract = {
    fromPK: payer.publicPem,
    toPK: payee.publicPem,
    channelId: 'ch-file-1',
    fromAddress: channelAddressOf('spend', tracker, payer.publicPem, NOW),
    toAddress: channelAddressOf('income', tracker, payee.publicPem, NOW),
    priceTokens: '1000',
    priceQuantumPower: 20,
    plannedQuantumCount: 4,
  };
});

const ctx = (over: Partial<ReviewContext> = {}): ReviewContext => ({
  now: NOW,
  trackerFingerprint: TRACKER,
  localIdentity: (pem) =>
    pem === payee.publicPem ? 'id-payee' : pem === payer.publicPem ? 'id-payer' : null,
  ...over,
});

interface Made {
  kind?: 'open' | 'close';
  message?: string;
  author?: Signer;
  trackerFingerprint?: string;
  expiresAt?: number;
}

/**
 * A file as the app writes it (the payer's offer unless told otherwise), its terms signed by its
 * author; `over` then edits fields the terms do not cover (keys, message signatures).
 */
function file(over: Partial<TransferFile> = {}, made: Made = {}): TransferFile {
  return {
    ...createTransferFile({
      kind: made.kind ?? 'open',
      trackerFingerprint: made.trackerFingerprint ?? TRACKER,
      message: made.message ?? openMessage(contract),
      fromPK: contract.fromPK,
      toPK: contract.toPK,
      author: made.author ?? payer,
      createdAt: NOW,
      expiresAt: made.expiresAt ?? NOW + 3_600_000,
    }),
    ...over,
  };
}

const text = (f: TransferFile | Record<string, unknown>) => serializeTransferFile(f as TransferFile);
const review = (f: TransferFile, c = ctx()) => reviewTransferFile(text(f), c);

describe('offer and receipt files: a sound file', () => {
  it('reads an offer: fields, signatures, who can countersign', () => {
    const r = review(file());
    expect(r).toMatchObject({
      kind: 'open',
      channelId: 'ch-file-1',
      reservation: '4000',
      fromSignature: 'valid',
      toSignature: 'missing',
      signableBy: 'id-payee',
      complete: false,
      problems: [],
    });
  });

  it('countersigns to a complete file, named for what it is', () => {
    const signed = countersignTransferFile(text(file()), payee, ctx());
    expect(signed.fileName).toBe('offer-ch-file-1-signed.json');
    expect(reviewTransferFile(signed.content, ctx())).toMatchObject({ complete: true, problems: [] });
  });

  it('reads a receipt with its settlement', () => {
    const message = closeMessage(contract, { quantumCount: 2n, tokens: 2000n, volume: 1_500_000n });
    const r = review(file({}, { kind: 'close', message, author: payee }));
    expect(r).toMatchObject({
      kind: 'close',
      settlement: { quantumCount: '2', tokens: '2000', volume: '1500000' },
      problems: [],
    });
  });
});

describe('offer and receipt files: every refusal', () => {
  it.each([
    ['not JSON', 'offer from bob'],
    ['JSON but not an object of the format', '{"hello": 1}'],
    ['another format', () => text({ ...file(), format: 'someone-else/file' })],
    ['an unknown version', () => text({ ...file(), version: 3 })],
    ['a first-version file (its terms unsigned)', () => text({ ...file(), version: 1 })],
    ['a file without its author’s signature', () => text({ ...file(), authorSign: undefined })],
    ['an unknown kind', () => text({ ...file(), kind: 'pay' })],
    ['an unknown field', () => text({ ...file(), extra: true })],
    ['a missing field', () => text({ ...file(), expiresAt: undefined })],
    ['a fractional time', () => text({ ...file(), expiresAt: NOW + 0.5 })],
    ['an oversized message', () => text({ ...file(), message: `"${'x'.repeat(64 * 1024)}"` })],
    ['an oversized key', () => text({ ...file(), fromPK: 'K'.repeat(5000) })],
  ])('refuses %s as BAD_FILE', (_what, content) => {
    const c = typeof content === 'function' ? content() : content;
    expect(() => parseTransferFile(c)).toThrow(expect.objectContaining({ code: 'BAD_FILE' }));
    expect(() => reviewTransferFile(c, ctx())).toThrow(expect.objectContaining({ code: 'BAD_FILE' }));
  });

  it.each([
    ['a message that is not JSON', () => file({}, { message: 'not json' })],
    ['a message that is not a contract', () => file({}, { message: JSON.stringify({ channelId: 'x' }) })],
    ['a receipt without the settlement fields', () => file({}, { kind: 'close' })],
    [
      'a payer key that does not parse',
      () => file({ fromPK: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }),
    ],
    ['a payee key that does not parse', () => file({ toPK: 'not a key' })],
  ])('refuses %s as BAD_FILE', (_what, f) => {
    expect(() => review(f())).toThrow(expect.objectContaining({ code: 'BAD_FILE' }));
  });

  /** Problems a review lists (and countersigning refuses with BAD_FILE). */
  it.each([
    [
      'keys inside the message that differ from the file’s',
      () => file({ toPK: stranger.publicPem }),
      /keys inside the message differ/,
    ],
    [
      'a payer address that is not a spend address',
      () => {
        return file(
          {},
          { message: openMessage({ ...contract, fromAddress: commonAddressOf(payer.publicPem) }) },
        );
      },
      /payer address is not a valid spend address/,
    ],
    [
      'a payee address that is a spend address',
      () => {
        return file({}, { message: openMessage({ ...contract, toAddress: contract.fromAddress }) });
      },
      /payee address is not a valid income or common address/,
    ],
    [
      'an inconsistent settlement',
      () => {
        const m = closeMessage(contract, { quantumCount: 2n, tokens: 1n, volume: 10n });
        return file({}, { kind: 'close', message: m });
      },
      /settlement is inconsistent/,
    ],
    [
      'an altered message (payer’s signature)',
      () => file({ fromSign: signMessage('other', payer.privateKey) }),
      /payer’s signature does not verify/,
    ],
    [
      'an altered message (payee’s signature)',
      () => file({ toSign: signMessage('other', payee.privateKey) }),
      /payee’s signature does not verify/,
    ],
    ['no signature at all', () => file({ fromSign: null }), /carries no signature/],
    ['an expired file', () => file({}, { expiresAt: NOW - 1 }), /expired/],
    ['a file for another tracker', () => file({}, { trackerFingerprint: 'ffff:0000' }), /another tracker/],
    [
      'a file whose expiry was edited',
      () => file({ expiresAt: NOW + 86_400_000 }),
      /dates and tracker does not verify/,
    ],
  ])('lists %s as a problem and will not countersign it', (_what, f, problem) => {
    const r = review(f());
    expect(r.problems.map((p) => p.text).join(' ')).toMatch(problem);
    expect(() => countersignTransferFile(text(f()), payee, ctx())).toThrow(
      expect.objectContaining({ code: 'BAD_FILE' }),
    );
  });

  it('refuses a countersignature by someone who is not a party', () => {
    expect(() => countersignTransferFile(text(file()), stranger, ctx())).toThrow(
      expect.objectContaining({ code: 'NOT_A_PARTY' }),
    );
  });

  it('does not check the tracker while offline (no fingerprint to compare)', () => {
    expect(
      review(file({}, { trackerFingerprint: 'ffff:0000' }), ctx({ trackerFingerprint: null })).problems,
    ).toEqual([]);
  });
});
