/** One request frame in, one answer frame out: signed results or error frames (SPEC §3, §8). */
import { performance } from 'node:perf_hooks';
import { ProtocolError } from '../../shared/protocol/errors';
import { requestEnvelope } from '../../shared/protocol/schemas';
import type { Ledger } from '../engine/ledger';
import type { Logger } from '../log';
import type { TrackerMetrics } from '../metrics';

/** Nanoseconds since the epoch, as a JSON integer (diagnostic precision only). */
export function epochNs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1e6);
}

const MAX_ECHO = 1024;

/** The frame text cut to at most `max` bytes of UTF-8 (SPEC §3: 1 KiB), never inside a character. */
function echoOf(text: string, max = MAX_ECHO): string {
  if (text.length * 3 <= max || Buffer.byteLength(text, 'utf8') <= max) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) break;
    bytes += n;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** The corrToken of a frame that parses as an envelope, else undefined. */
function envelopeOf(text: string): { cmd: number; corrToken: string; payload: unknown } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const env = requestEnvelope.safeParse(parsed);
  return env.success ? env.data : undefined;
}

export interface FrameContext {
  ledger: Ledger;
  log: Logger;
  metrics: TrackerMetrics;
  conn: number;
}

/** An error frame: `data` is the request's corrToken, or the frame text when it had none. */
export function errorFrame(
  err: ProtocolError,
  text: string,
  corrToken: string | undefined,
  beforeCreate: number,
): string {
  return JSON.stringify({
    corrToken: corrToken ?? '',
    data: corrToken ?? echoOf(text),
    error: err.toWire(),
    exData: { beforeCreate, created: epochNs() },
  });
}

export async function handleFrame(c: FrameContext, text: string, beforeCreate: number): Promise<string> {
  const started = performance.now();
  let corrToken: string | undefined;
  let cmd: number | undefined;
  let code = 'OK';
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ProtocolError('BAD_FRAME', 'frame is not JSON');
    }
    const env = requestEnvelope.safeParse(parsed);
    if (!env.success) {
      throw new ProtocolError('BAD_FRAME', 'frame is not an envelope {cmd, corrToken, payload}');
    }
    corrToken = env.data.corrToken;
    cmd = env.data.cmd;
    const outcome = await c.ledger.execute(cmd, env.data.payload);
    const created = epochNs();
    return JSON.stringify({
      cmd,
      corrToken,
      data: { message: outcome.message, sign: outcome.sign },
      exData: { beforeCreate, created, handled: epochNs() },
    });
  } catch (e) {
    const err =
      e instanceof ProtocolError
        ? e
        : new ProtocolError('INTERNAL', 'the tracker failed to handle the command');
    if (!(e instanceof ProtocolError))
      c.log.error('internal', { conn: c.conn, cmd, error: String((e as Error)?.stack ?? e) });
    code = err.code;
    return errorFrame(err, text, corrToken, beforeCreate);
  } finally {
    const seconds = (performance.now() - started) / 1000;
    c.metrics.command(cmd, code, seconds);
    if (c.log.enabled)
      c.log.info('cmd', { conn: c.conn, cmd: cmd ?? null, ms: +(seconds * 1000).toFixed(3), code });
  }
}

/** The answer to a request refused before it was looked at (rate limit, binary frame). */
export function refusalFrame(
  c: FrameContext,
  err: ProtocolError,
  text: string,
  beforeCreate: number,
): string {
  const env = envelopeOf(text);
  c.metrics.command(env?.cmd, err.code, 0);
  if (c.log.enabled) c.log.info('cmd', { conn: c.conn, cmd: env?.cmd ?? null, ms: 0, code: err.code });
  return errorFrame(err, text, env?.corrToken, beforeCreate);
}
