/** Structured logging: one JSON object per line on stdout. Never given key material. */

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  /** False when nothing is written (callers skip building the fields of hot-path lines). */
  readonly enabled: boolean;
  info(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export function jsonLogger(enabled: boolean, out: NodeJS.WritableStream = process.stdout): Logger {
  const write = (level: string, event: string, fields?: LogFields): void => {
    if (!enabled) return;
    out.write(`${JSON.stringify({ t: new Date().toISOString(), level, event, ...fields })}\n`);
  };
  return {
    enabled,
    info: (event, fields) => write('info', event, fields),
    error: (event, fields) => write('error', event, fields),
  };
}

export const silentLogger: Logger = { enabled: false, info: () => undefined, error: () => undefined };
