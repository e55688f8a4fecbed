/** Building and checking signed payloads and signed responses (SPEC §3). Node only. */
import type { KeyObject } from 'node:crypto';
import { ProtocolError } from '../protocol/errors';
import {
  doubleSignedPayload,
  parseJson,
  parseWith,
  singleSignedPayload,
  type DoubleSignedPayload,
  type SingleSignedPayload,
} from '../protocol/schemas';
import { parsePublicKey, sameKey, type ParsedKey } from './keys';
import { signMessage, verifyMessage } from './sign';

export interface Signer {
  publicPem: string;
  privateKey: KeyObject;
}

/** Payload of cmd 1, 2, 4: the message is the signer's PEM. */
export function signPemPayload(signer: Signer): SingleSignedPayload {
  return {
    message: signer.publicPem,
    pk: signer.publicPem,
    sign: signMessage(signer.publicPem, signer.privateKey),
  };
}

/** Payload of a one-signer JSON command; `pk` is added to the message. */
export function signJsonPayload(signer: Signer, fields: Record<string, unknown>): SingleSignedPayload {
  const message = JSON.stringify({ ...fields, pk: signer.publicPem });
  return { message, pk: signer.publicPem, sign: signMessage(message, signer.privateKey) };
}

/** Payload of cmd 8/16 from a message and both signatures. */
export function twoSignerPayload(
  message: string,
  fromPK: string,
  fromSign: string,
  toPK: string,
  toSign: string,
): DoubleSignedPayload {
  return { message, fromPK, fromSign, toPK, toSign };
}

/**
 * Checks one signature with a key that parsePublicKey already accepted. The tracker passes one that
 * runs on its worker pool; the default checks inline.
 */
export type SignatureCheck = (message: string, sign: string, key: ParsedKey) => Promise<boolean>;

export const inlineSignatureCheck: SignatureCheck = (message, sign, key) =>
  Promise.resolve(verifyMessage(message, sign, key.key));

export interface VerifiedSingle {
  payload: SingleSignedPayload;
  signer: ParsedKey;
  /** The parsed JSON message, or null for PEM-message commands. */
  body: Record<string, unknown> | null;
}

/** Checks a one-signer payload: shape, key, signature, and that the inner key is the outer one. */
export async function verifySinglePayload(
  raw: unknown,
  pemMessage: boolean,
  check: SignatureCheck = inlineSignatureCheck,
): Promise<VerifiedSingle> {
  const payload = parseWith(singleSignedPayload, raw, 'payload');
  const signer = parsePublicKey(payload.pk);
  if (!(await check(payload.message, payload.sign, signer))) {
    throw new ProtocolError('BAD_SIGNATURE', 'signature does not verify with pk');
  }
  if (pemMessage) {
    let inner: ParsedKey;
    try {
      inner = parsePublicKey(payload.message);
    } catch {
      throw new ProtocolError('KEY_MISMATCH', 'message must be the signer’s public key PEM');
    }
    if (!inner.der.equals(signer.der)) throw new ProtocolError('KEY_MISMATCH', 'message key differs from pk');
    return { payload, signer, body: null };
  }
  const body = parseJson(payload.message, 'message');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProtocolError('BAD_PAYLOAD', 'message must be a JSON object');
  }
  const innerPk = (body as Record<string, unknown>).pk;
  if (typeof innerPk !== 'string' || !sameKey(innerPk, payload.pk)) {
    throw new ProtocolError('KEY_MISMATCH', 'message.pk differs from pk');
  }
  return { payload, signer, body: body as Record<string, unknown> };
}

export interface VerifiedDouble {
  payload: DoubleSignedPayload;
  from: ParsedKey;
  to: ParsedKey;
  body: Record<string, unknown>;
}

/** Checks a two-signer payload (cmd 8/16): both keys, both signatures, inner keys = outer keys. */
export async function verifyDoublePayload(
  raw: unknown,
  check: SignatureCheck = inlineSignatureCheck,
): Promise<VerifiedDouble> {
  const payload = parseWith(doubleSignedPayload, raw, 'payload');
  const from = parsePublicKey(payload.fromPK);
  const to = parsePublicKey(payload.toPK);
  // Both at once (two workers); the payer's failure is still the one reported first.
  const [fromOk, toOk] = await Promise.all([
    check(payload.message, payload.fromSign, from),
    check(payload.message, payload.toSign, to),
  ]);
  if (!fromOk) {
    throw new ProtocolError('BAD_SIGNATURE', 'fromSign does not verify with fromPK');
  }
  if (!toOk) {
    throw new ProtocolError('BAD_SIGNATURE', 'toSign does not verify with toPK');
  }
  const body = parseJson(payload.message, 'message');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProtocolError('BAD_PAYLOAD', 'message must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.fromPK !== 'string' || !sameKey(b.fromPK, payload.fromPK)) {
    throw new ProtocolError('KEY_MISMATCH', 'message.fromPK differs from fromPK');
  }
  if (typeof b.toPK !== 'string' || !sameKey(b.toPK, payload.toPK)) {
    throw new ProtocolError('KEY_MISMATCH', 'message.toPK differs from toPK');
  }
  return { payload, from, to, body: b };
}

/**
 * The tracker key a response claims: the PEM itself for cmd 1, else `pk` of the JSON message
 * (absent for cmd 1024/2048: those verify with the pinned key only).
 */
export function claimedTrackerKey(cmd: number, message: string): string | null {
  if (cmd === 1) return message;
  try {
    const body = JSON.parse(message) as unknown;
    const pk = (body as { pk?: unknown } | null)?.pk;
    return typeof pk === 'string' ? pk : null;
  } catch {
    return null;
  }
}

/** Verifies a response's signature with the given tracker key. */
export function verifyResponse(message: string, sign: string, trackerPem: string): boolean {
  return verifyMessage(message, sign, trackerPem);
}
