/**
 * Offer and receipt files: how two peers on different machines co-sign a transfer channel's open
 * (offer) or close (receipt). The file carries the exact message string and whatever signatures it
 * has so far; the counterparty reviews it, adds its signature and either submits it or sends it back.
 *
 * Format (JSON, version 2):
 *   { format: "wallet-tracker/transfer-file", version: 2, kind: "open" | "close",
 *     tracker: { fingerprint }, message, fromPK, fromSign | null, toPK, toSign | null,
 *     createdAt, expiresAt, author: "payer" | "payee", authorSign }
 *
 * `authorSign` is the author's signature (the party that made the file) over the file's own
 * terms (fileTerms: kind, tracker fingerprint, createdAt, expiresAt, author and the SHA-256 of
 * `message`), so the expiry and the tracker cannot be edited without breaking the file. The signed
 * text starts with a label no protocol message can start with: it can never be replayed to a
 * tracker as a signed command. Version 1 files carried no such signature and are refused.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { sameKey, fingerprintOf, parsePublicKey } from '../../../shared/crypto/keys';
import { verifyMessage, signMessage } from '../../../shared/crypto/sign';
import { checkAddress } from '../../../shared/crypto/address';
import { closeMessage as closeSchema, contractMessage, parseJson } from '../../../shared/protocol/schemas';
import { checkSettlement, reservation } from '../../../shared/protocol/amounts';
import type { FileReview, Problem, TextFile } from '../../../shared/api/models';
import type { Signer } from '../../../shared/crypto/signed-payload';
import { AppError } from '../api/backend';
import { problem, problemsText } from './problems';

export const FILE_FORMAT = 'wallet-tracker/transfer-file';
export const FILE_VERSION = 2;
const TERMS_LABEL = `${FILE_FORMAT}/${FILE_VERSION} terms\n`;

export const transferFile = z
  .object({
    format: z.literal(FILE_FORMAT),
    version: z.literal(FILE_VERSION),
    kind: z.enum(['open', 'close']),
    tracker: z.object({ fingerprint: z.string().max(200) }).strict(),
    message: z
      .string()
      .min(2)
      .max(64 * 1024),
    fromPK: z.string().max(4096),
    fromSign: z.string().max(2048).nullable(),
    toPK: z.string().max(4096),
    toSign: z.string().max(2048).nullable(),
    createdAt: z.number().int(),
    expiresAt: z.number().int(),
    author: z.enum(['payer', 'payee']),
    authorSign: z.string().max(2048),
  })
  .strict();
export type TransferFile = z.infer<typeof transferFile>;

export function parseTransferFile(content: string): TransferFile {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch {
    throw new AppError('BAD_FILE', 'the file is not JSON: is it a Wallet Tracker offer or receipt?');
  }
  if (isRecord(raw) && raw['format'] === FILE_FORMAT && raw['version'] === 1) {
    throw new AppError(
      'BAD_FILE',
      'this file was made by an older Wallet Tracker whose files did not sign their dates and tracker: ask the sender for a new one',
    );
  }
  const r = transferFile.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new AppError(
      'BAD_FILE',
      `not a valid offer/receipt file (${first ? `${first.path.join('.') || 'file'}: ${first.message}` : 'unknown shape'})`,
    );
  }
  return r.data;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The text the author signs: the file's terms, bound to its message by the message's hash. */
export function fileTerms(f: Omit<TransferFile, 'authorSign'>): string {
  const messageSha256 = createHash('sha256').update(f.message, 'utf8').digest('base64');
  return `${TERMS_LABEL}${JSON.stringify({
    kind: f.kind,
    tracker: f.tracker.fingerprint,
    createdAt: f.createdAt,
    expiresAt: f.expiresAt,
    author: f.author,
    messageSha256,
  })}`;
}

export interface NewTransferFile {
  kind: 'open' | 'close';
  trackerFingerprint: string;
  message: string;
  fromPK: string;
  toPK: string;
  /** The party making the file: signs the message and the file's terms. */
  author: Signer;
  createdAt: number;
  expiresAt: number;
}

/** A file carrying its author's signatures over the message and over the file's terms. */
export function createTransferFile(n: NewTransferFile): TransferFile {
  const authorIsPayer = sameKey(n.author.publicPem, n.fromPK);
  if (!authorIsPayer && !sameKey(n.author.publicPem, n.toPK)) {
    throw new AppError('NOT_A_PARTY', 'the file’s author must be the payer or the payee');
  }
  const sign = signMessage(n.message, n.author.privateKey);
  const unsigned = {
    format: FILE_FORMAT,
    version: FILE_VERSION,
    kind: n.kind,
    tracker: { fingerprint: n.trackerFingerprint },
    message: n.message,
    fromPK: n.fromPK,
    fromSign: authorIsPayer ? sign : null,
    toPK: n.toPK,
    toSign: authorIsPayer ? null : sign,
    createdAt: n.createdAt,
    expiresAt: n.expiresAt,
    author: authorIsPayer ? 'payer' : 'payee',
  } as const;
  return { ...unsigned, authorSign: signMessage(fileTerms(unsigned), n.author.privateKey) };
}

export function serializeTransferFile(f: TransferFile): string {
  return `${JSON.stringify(f, null, 2)}\n`;
}

export function fileNameFor(f: TransferFile, channelId: string): string {
  const safe = channelId.replace(/[^\w.-]+/g, '_').slice(0, 80);
  const signed = f.fromSign && f.toSign ? 'signed' : 'unsigned';
  return `${f.kind === 'open' ? 'offer' : 'receipt'}-${safe}-${signed}.json`;
}

export function signatureState(
  message: string,
  sign: string | null,
  pk: string,
): 'valid' | 'invalid' | 'missing' {
  if (!sign) return 'missing';
  return verifyMessage(message, sign, pk) ? 'valid' : 'invalid';
}

export interface ReviewContext {
  now: number;
  /** Fingerprint of the tracker the app is connected to (null when offline). */
  trackerFingerprint: string | null;
  /** The local identity id holding a key, if any. */
  localIdentity(pem: string): string | null;
}

/** Checks a file strictly and describes it; `problems` is empty when all is right. */
export function reviewTransferFile(content: string, ctx: ReviewContext): FileReview {
  const f = parseTransferFile(content);
  const problems: Problem[] = [];
  let body: Record<string, unknown>;
  try {
    body = parseJson(f.message, 'message') as Record<string, unknown>;
  } catch {
    throw new AppError('BAD_FILE', 'the signed message in the file is not JSON');
  }
  const parsed = (f.kind === 'open' ? contractMessage : closeSchema).safeParse(body);
  if (!parsed.success) {
    throw new AppError(
      'BAD_FILE',
      `the message is not a valid ${f.kind === 'open' ? 'contract' : 'close'} message`,
    );
  }
  const m = parsed.data;
  const close = f.kind === 'close' ? closeSchema.parse(body) : null;
  for (const [label, pk] of [
    ['payer', f.fromPK],
    ['payee', f.toPK],
  ] as const) {
    try {
      parsePublicKey(pk);
    } catch {
      throw new AppError('BAD_FILE', `the ${label} key in the file does not parse`);
    }
  }
  if (!sameKey(m.fromPK, f.fromPK) || !sameKey(m.toPK, f.toPK)) {
    problems.push(problem('keysDiffer', 'the keys inside the message differ from the keys of the file'));
  }
  if (!checkAddress(m.fromAddress, 'spend').valid)
    problems.push(problem('payerAddress', 'the payer address is not a valid spend address'));
  const to = checkAddress(m.toAddress);
  if (!to.valid || to.kind === 'spend')
    problems.push(problem('payeeAddress', 'the payee address is not a valid income or common address'));
  let settlement: FileReview['settlement'] = null;
  if (close) {
    settlement = {
      quantumCount: String(close.quantumCount),
      tokens: close.tokens,
      volume: String(close.volume),
    };
    try {
      checkSettlement(
        {
          priceTokens: BigInt(m.priceTokens),
          priceQuantumPower: m.priceQuantumPower,
          plannedQuantumCount: BigInt(m.plannedQuantumCount),
        },
        {
          quantumCount: BigInt(close.quantumCount),
          tokens: BigInt(close.tokens),
          volume: BigInt(close.volume),
        },
      );
    } catch (e) {
      problems.push(
        problem('settlementInconsistent', `the settlement is inconsistent: ${(e as Error).message}`),
      );
    }
  }
  const fromSignature = signatureState(f.message, f.fromSign, f.fromPK);
  const toSignature = signatureState(f.message, f.toSign, f.toPK);
  if (fromSignature === 'invalid')
    problems.push(problem('payerSignature', 'the payer’s signature does not verify: the file was altered'));
  if (toSignature === 'invalid')
    problems.push(problem('payeeSignature', 'the payee’s signature does not verify: the file was altered'));
  if (fromSignature === 'missing' && toSignature === 'missing')
    problems.push(problem('unsigned', 'the file carries no signature'));
  const authorPK = f.author === 'payer' ? f.fromPK : f.toPK;
  if (!verifyMessage(fileTerms(f), f.authorSign, authorPK)) {
    problems.push(
      problem(
        `${f.author}Terms`,
        `the ${f.author}’s signature over the file’s dates and tracker does not verify: the file was altered`,
      ),
    );
  }
  if ((f.author === 'payer' ? fromSignature : toSignature) === 'missing') {
    problems.push(
      problem(`${f.author}Unsigned`, `the ${f.author} made this file but did not sign its message`),
    );
  }
  if (ctx.now > f.expiresAt)
    problems.push(
      problem('fileExpired', `the file expired at ${new Date(f.expiresAt).toISOString()}`, {
        expiredAt: f.expiresAt,
      }),
    );
  if (ctx.trackerFingerprint && f.tracker.fingerprint !== ctx.trackerFingerprint) {
    problems.push(
      problem('otherTracker', 'the file was made for another tracker than the one you are connected to'),
    );
  }
  const signableBy =
    fromSignature === 'missing'
      ? ctx.localIdentity(f.fromPK)
      : toSignature === 'missing'
        ? ctx.localIdentity(f.toPK)
        : null;
  return {
    kind: f.kind,
    channelId: m.channelId,
    fromPK: f.fromPK,
    toPK: f.toPK,
    fromFingerprint: fingerprintOf(f.fromPK),
    toFingerprint: fingerprintOf(f.toPK),
    fromAddress: m.fromAddress,
    toAddress: m.toAddress,
    priceTokens: m.priceTokens,
    pricePower: m.priceQuantumPower,
    plannedQuantumCount: String(m.plannedQuantumCount),
    reservation: reservation(BigInt(m.priceTokens), BigInt(m.plannedQuantumCount)).toString(),
    settlement,
    fromSignature,
    toSignature,
    signableBy,
    complete: fromSignature === 'valid' && toSignature === 'valid',
    createdAt: f.createdAt,
    expiresAt: f.expiresAt,
    problems,
  };
}

/** Adds the signer's signature to the side whose key it holds. */
export function countersignTransferFile(content: string, signer: Signer, ctx: ReviewContext): TextFile {
  const review = reviewTransferFile(content, ctx);
  if (review.problems.length) throw new AppError('BAD_FILE', problemsText(review.problems));
  const f = parseTransferFile(content);
  const sign = signMessage(f.message, signer.privateKey);
  let next: TransferFile;
  if (sameKey(signer.publicPem, f.fromPK)) next = { ...f, fromSign: sign };
  else if (sameKey(signer.publicPem, f.toPK)) next = { ...f, toSign: sign };
  else throw new AppError('NOT_A_PARTY', 'this identity is neither the payer nor the payee of the file');
  return { fileName: fileNameFor(next, review.channelId), content: serializeTransferFile(next) };
}
