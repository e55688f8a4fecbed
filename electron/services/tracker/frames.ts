/**
 * Frames from a tracker (SPEC §3): classification, correlation keys, error mapping and response
 * verification against the pinned key. Pure functions (no socket), so every variant of the
 * original server can be tested from the documented vectors.
 */
import { Cmd } from '../../../shared/protocol/commands';
import { parseWireError } from '../../../shared/protocol/errors';
import { errorFrame, successFrame } from '../../../shared/protocol/schemas';
import { claimedTrackerKey, verifyResponse } from '../../../shared/crypto/signed-payload';
import { parsePublicKey, sameKey } from '../../../shared/crypto/keys';
import { TrackerError, type TrackerErrorCode } from './errors';

export interface SignedData {
  message: string;
  sign: string;
}

export type IncomingFrame =
  | {
      kind: 'success';
      corrToken: string;
      /** Absent in the original server's success frames. */
      cmd: number | undefined;
      data: SignedData;
      exData: unknown;
    }
  | {
      kind: 'error';
      corrToken: string | undefined;
      /** Our tracker: the request's corrToken (or the bad frame's text); the original: exData as a string. */
      data: unknown;
      error: string;
      exData: unknown;
    }
  | { kind: 'invalid'; reason: string };

/** Commands whose responses carry no `pk`: verified with the pinned key alone (SPEC §3). */
const NO_PK_CMDS: readonly number[] = [Cmd.GET_FIRST_TRANSACTIONS, Cmd.GET_NEXT_TRANSACTIONS];

/** Classifies one incoming text frame. Never throws. */
export function parseIncomingFrame(text: string): IncomingFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'frame is not JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'frame is not a JSON object' };
  }
  if ('error' in value && (value as { error: unknown }).error !== undefined) {
    const e = errorFrame.safeParse(value);
    if (!e.success) return { kind: 'invalid', reason: 'error frame has no error text' };
    return {
      kind: 'error',
      corrToken: e.data.corrToken,
      data: e.data.data,
      error: e.data.error,
      exData: e.data.exData,
    };
  }
  const s = successFrame.safeParse(value);
  if (!s.success) {
    return { kind: 'invalid', reason: 'frame is neither a success frame nor an error frame' };
  }
  return {
    kind: 'success',
    corrToken: s.data.corrToken,
    cmd: s.data.cmd,
    data: { message: s.data.data.message, sign: s.data.data.sign },
    exData: s.data.exData,
  };
}

/**
 * Tokens a frame may answer, most specific first: its corrToken, then (error frames) `data` when
 * it is a string — our tracker echoes the corrToken there; the original server may omit the
 * corrToken and puts the exData JSON there, which simply matches nothing.
 */
export function correlationKeys(frame: IncomingFrame): string[] {
  if (frame.kind === 'invalid') return [];
  const keys: string[] = [];
  if (frame.corrToken) keys.push(frame.corrToken);
  if (
    frame.kind === 'error' &&
    typeof frame.data === 'string' &&
    frame.data &&
    frame.data !== frame.corrToken
  ) {
    keys.push(frame.data);
  }
  return keys;
}

/** The error an error frame stands for: its §8 code, or TRACKER_ERROR for plain-text errors. */
export function trackerErrorOf(error: string, cmd?: number): TrackerError {
  const { code, text } = parseWireError(error);
  const finalCode: TrackerErrorCode = code ?? 'TRACKER_ERROR';
  return new TrackerError(finalCode, text || error || 'the tracker refused the request', cmd);
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks a response against the pinned tracker key: the signature must verify with it and,
 * except for 1024/2048 (no pk), the key the message names must be the pinned one (by DER).
 */
export function verifyResponseData(cmd: number, data: SignedData, pinnedPem: string): Verdict {
  if (!NO_PK_CMDS.includes(cmd)) {
    const claimed = claimedTrackerKey(cmd, data.message);
    if (claimed === null) return { ok: false, reason: 'the response names no tracker key' };
    if (!sameKey(claimed, pinnedPem)) {
      return { ok: false, reason: 'the response names a tracker key other than the pinned one' };
    }
  }
  if (!verifyResponse(data.message, data.sign, pinnedPem)) {
    return { ok: false, reason: 'the response signature does not verify with the pinned tracker key' };
  }
  return { ok: true };
}

export type HandshakeVerdict =
  { ok: true; key: string } | { ok: false; code: TrackerErrorCode; reason: string };

/** Checks a handshake answer on its own terms: the message is a key and it signed the message. */
export function verifyHandshakeData(data: SignedData): HandshakeVerdict {
  let canonical: string;
  try {
    canonical = parsePublicKey(data.message).pem;
  } catch {
    return { ok: false, code: 'BAD_RESPONSE', reason: 'the handshake answer is not a public key' };
  }
  if (!verifyResponse(data.message, data.sign, data.message)) {
    return {
      ok: false,
      code: 'BAD_RESPONSE_SIGNATURE',
      reason: 'the handshake answer is not signed by the key it names',
    };
  }
  return { ok: true, key: canonical };
}

/** A request frame's text. */
export function requestFrameText(cmd: number, corrToken: string, payload: unknown): string {
  return JSON.stringify({ cmd, corrToken, payload });
}
