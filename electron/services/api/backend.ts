/**
 * What a transport needs from the main process: one handler per contract request, and the events.
 * Transports (Electron IPC, the WebSocket bridge) call `dispatch`, which validates the arguments
 * and the result against the contract, so both see exactly the same API.
 */
import { EventEmitter } from 'node:events';
import {
  requests,
  events as eventSchemas,
  isRequestName,
  type EventName,
  type EventPayload,
  type ParsedArgs,
  type RequestName,
  type RequestResult,
  type ApiErrorShape,
} from '../../../shared/api/contract';
import { ProtocolError } from '../../../shared/protocol/errors';

export type ApiHandlers = { [N in RequestName]: (args: ParsedArgs<N>) => Promise<RequestResult<N>> };

/** An error meant for the user: a stable code (i18n key in the renderer) and a plain message. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export class ApiEvents {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(100);
  }
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit(event, eventSchemas[event].parse(payload));
  }
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    this.emitter.on(event, listener as (p: unknown) => void);
    return () => this.emitter.off(event, listener as (p: unknown) => void);
  }
  /** Every event, for transports that forward all of them. */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    const offs = (Object.keys(eventSchemas) as EventName[]).map((e) => this.on(e, (p) => listener(e, p)));
    return () => offs.forEach((off) => off());
  }
}

export interface AppBackend {
  handlers: ApiHandlers;
  events: ApiEvents;
  /** Told of every well-formed request before it runs (auto-lock counts the user's intents). */
  noteRequest?(name: RequestName): void;
  close(): Promise<void>;
}

export function toApiError(e: unknown): ApiErrorShape {
  if (e instanceof AppError) return { code: e.code, message: e.message };
  if (e instanceof ProtocolError) return { code: e.code, message: e.message };
  // TrackerError and other coded errors of the services: the code is the contract.
  if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && !('issues' in e)) {
    return { code: (e as unknown as { code: string }).code, message: e.message };
  }
  if (e && typeof e === 'object' && 'issues' in e) {
    const issues = (e as { issues: { path: PropertyKey[]; message: string }[] }).issues;
    return {
      code: 'INVALID_ARGUMENT',
      message: issues
        .slice(0, 3)
        .map((i) => `${i.path.map(String).join('.') || 'value'}: ${i.message}`)
        .join('; '),
    };
  }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** Validates a request from an untrusted transport, runs it, validates the result. */
export async function dispatch(
  backend: AppBackend,
  name: unknown,
  rawArgs: unknown,
): Promise<{ result: unknown } | { error: ApiErrorShape }> {
  if (!isRequestName(name))
    return { error: { code: 'UNKNOWN_METHOD', message: `unknown method ${String(name)}` } };
  const spec = requests[name];
  const parsed = spec.args.safeParse(rawArgs ?? {});
  if (!parsed.success) return { error: toApiError(parsed.error) };
  backend.noteRequest?.(name);
  let result: unknown;
  try {
    const handler = backend.handlers[name] as (a: unknown) => Promise<unknown>;
    result = await handler(parsed.data);
  } catch (e) {
    return { error: toApiError(e) };
  }
  // A result outside the contract is our bug, never the caller's: report it as such.
  const checked = spec.result.safeParse(result);
  if (!checked.success) {
    return { error: { code: 'INTERNAL', message: `${name} produced a result outside the contract` } };
  }
  return { result: checked.data };
}
