/**
 * Error codes of the tracker (SPEC §8, plus RATE_LIMITED: docs/protocol-decisions.md) and the error
 * type that carries them. Pure.
 */

export const ERROR_CODES = [
  'BAD_FRAME',
  'FRAME_TOO_LARGE',
  'UNKNOWN_COMMAND',
  'BAD_PAYLOAD',
  'BAD_KEY',
  'BAD_SIGNATURE',
  'KEY_MISMATCH',
  'BAD_ADDRESS',
  'ADDRESS_NOT_FOUND',
  'ADDRESS_CLOSED',
  'NOT_OWNER',
  'EXPIRED',
  'OPEN_CHANNELS',
  'TOO_MANY_ADDRESSES',
  'NO_FUNDS',
  'PRICE_OUT_OF_BOUNDS',
  'INSUFFICIENT_LIMIT',
  'CHANNEL_NOT_FOUND',
  'CHANNEL_CONFLICT',
  'BAD_SETTLEMENT',
  'CURSOR_NOT_FOUND',
  /** More requests per second on one connection than the tracker allows; nothing was changed. */
  'RATE_LIMITED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && (ERROR_CODES as readonly string[]).includes(s);
}

/** A protocol violation with its §8 code; `message` is the human text. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
  /** The wire form used in error frames: `CODE: human text`. */
  toWire(): string {
    return `${this.code}: ${this.message}`;
  }
}

/** Splits a wire error (`CODE: text`) into code and text; unknown codes stay undefined. */
export function parseWireError(error: string): { code: ErrorCode | undefined; text: string } {
  const m = /^([A-Z_]+):\s*(.*)$/s.exec(error);
  if (m && isErrorCode(m[1])) return { code: m[1], text: m[2] ?? '' };
  return { code: undefined, text: error };
}
