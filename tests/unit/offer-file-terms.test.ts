/**
 * Offer and receipt files (electron/services/channels/offer-file.ts): the file's author signs its
 * terms (createdAt, expiresAt, the tracker fingerprint, the author's side, bound to the message), so
 * editing any of them breaks the file and it is refused; files of the first version, which had no
 * such signature, are refused with a clear message. Real keys and signatures.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  countersignTransferFile,
  createTransferFile,
  fileTerms,
  parseTransferFile,
  reviewTransferFile,
  serializeTransferFile,
  type ReviewContext,
  type TransferFile,
} from '../../electron/services/channels/offer-file';
import { closeMessage, openMessage, type Contract } from '../../electron/services/channels/messages';
import { channelAddressOf } from '../../shared/crypto/address';
import { generateRsaKeyPair, parsePrivateKey } from '../../shared/crypto/keys';
import type { Signer } from '../../shared/crypto/signed-payload';
import { AppError } from '../../electron/services/api/backend';

const NOW = 1_795_000_000_000;
const TRACKER = 'ab12:cd34';

function signer(pair: { privatePem: string; publicPem: string }): Signer {
  return { publicPem: pair.publicPem, privateKey: parsePrivateKey(pair.privatePem) };
}

describe('offer and receipt file terms', () => {
  let payer: Signer;
  let payee: Signer;
  let contract: Contract;
  let offer: TransferFile;
  const ctx = (over: Partial<ReviewContext> = {}): ReviewContext => ({
    now: NOW + 1000,
    trackerFingerprint: TRACKER,
    localIdentity: () => null,
    ...over,
  });
  const edited = (patch: Partial<TransferFile>): string => serializeTransferFile({ ...offer, ...patch });

  beforeAll(() => {
    payer = signer(generateRsaKeyPair());
    payee = signer(generateRsaKeyPair());
    const tracker = generateRsaKeyPair().publicPem;
    contract = {
      fromPK: payer.publicPem,
      toPK: payee.publicPem,
      channelId: 'terms-1',
      fromAddress: channelAddressOf('spend', tracker, payer.publicPem, NOW - 60_000),
      toAddress: channelAddressOf('income', tracker, payee.publicPem, NOW - 60_000),
      priceTokens: '950',
      priceQuantumPower: 20,
      plannedQuantumCount: 4,
    };
    offer = createTransferFile({
      kind: 'open',
      trackerFingerprint: TRACKER,
      message: openMessage(contract),
      fromPK: contract.fromPK,
      toPK: contract.toPK,
      author: payer,
      createdAt: NOW,
      expiresAt: NOW + 3_600_000,
    });
  });

  it('a new file is version 2, signed by its author over message and terms, and reviews clean', () => {
    expect(offer).toMatchObject({ version: 2, author: 'payer', toSign: null });
    expect(offer.fromSign).toBeTruthy();
    const review = reviewTransferFile(serializeTransferFile(offer), ctx());
    expect(review.problems).toEqual([]);
    expect(review).toMatchObject({
      fromSignature: 'valid',
      toSignature: 'missing',
      expiresAt: NOW + 3_600_000,
    });
  });

  it.each([
    ['a later expiry', { expiresAt: NOW + 86_400_000 }],
    ['another creation time', { createdAt: NOW - 1 }],
    ['another tracker', { tracker: { fingerprint: 'ffff:ffff' } }],
    ['the other side as author', { author: 'payee' as const }],
  ])('editing %s breaks the file: review says so, countersigning refuses', (_label, patch) => {
    const content = edited(patch);
    const review = reviewTransferFile(content, ctx({ trackerFingerprint: null }));
    expect(review.problems.map((p) => p.text).join('\n')).toMatch(
      /dates and tracker does not verify: the file was altered/,
    );
    expect(() => countersignTransferFile(content, payee, ctx({ trackerFingerprint: null }))).toThrow(
      /the file was altered/,
    );
  });

  it('refuses terms signed for another message (a signature moved between files)', () => {
    const other = createTransferFile({
      kind: 'open',
      trackerFingerprint: TRACKER,
      message: openMessage({ ...contract, channelId: 'terms-2' }),
      fromPK: contract.fromPK,
      toPK: contract.toPK,
      author: payer,
      createdAt: NOW,
      expiresAt: NOW + 86_400_000,
    });
    const spliced = edited({ expiresAt: other.expiresAt, authorSign: other.authorSign });
    expect(
      reviewTransferFile(spliced, ctx())
        .problems.map((p) => p.text)
        .join(),
    ).toMatch(/was altered/);
  });

  it('refuses a file whose author did not sign the message', () => {
    const review = reviewTransferFile(edited({ fromSign: null, toSign: offer.fromSign }), ctx());
    expect(review.problems.map((p) => p.text).join('\n')).toMatch(
      /the payer made this file but did not sign its message/,
    );
  });

  it('keeps the author’s terms through countersigning, and the complete file still verifies', () => {
    const signed = countersignTransferFile(serializeTransferFile(offer), payee, ctx());
    const f = parseTransferFile(signed.content);
    expect(f).toMatchObject({ author: 'payer', authorSign: offer.authorSign, expiresAt: offer.expiresAt });
    const review = reviewTransferFile(signed.content, ctx());
    expect(review).toMatchObject({ complete: true, problems: [] });
  });

  it('a receipt made by the payee is signed by the payee', () => {
    const receipt = createTransferFile({
      kind: 'close',
      trackerFingerprint: TRACKER,
      message: closeMessage(contract, { quantumCount: 2n, tokens: 1900n, volume: 2_000_000n }),
      fromPK: contract.fromPK,
      toPK: contract.toPK,
      author: payee,
      createdAt: NOW,
      expiresAt: NOW + 600_000,
    });
    expect(receipt).toMatchObject({ author: 'payee', fromSign: null });
    expect(reviewTransferFile(serializeTransferFile(receipt), ctx()).problems).toEqual([]);
  });

  it('refuses an author who is neither party', () => {
    const stranger = signer(generateRsaKeyPair());
    expect(() =>
      createTransferFile({
        kind: 'open',
        trackerFingerprint: TRACKER,
        message: openMessage(contract),
        fromPK: contract.fromPK,
        toPK: contract.toPK,
        author: stranger,
        createdAt: NOW,
        expiresAt: NOW + 1,
      }),
    ).toThrow(AppError);
  });

  it('refuses a version 1 file (unsigned dates) with words saying why', () => {
    const { author: _a, authorSign: _s, ...v1 } = offer;
    const content = JSON.stringify({ ...v1, version: 1 });
    expect(() => reviewTransferFile(content, ctx())).toThrow(
      /older Wallet Tracker.*ask the sender for a new one/,
    );
  });

  it('signs text no tracker could take for a protocol message', () => {
    const terms = fileTerms(offer);
    expect(terms.startsWith('wallet-tracker/transfer-file/2 terms\n')).toBe(true);
    expect(() => JSON.parse(terms) as unknown).toThrow();
  });
});
