/** A real app backend (plain Node: conf settings, passphrase-protected keys, embedded tracker child). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppBackend, type CreateBackendOptions } from '../../electron/services/app/create-backend';
import { dispatch, type AppBackend } from '../../electron/services/api/backend';
import type {
  EventName,
  EventPayload,
  RequestArgs,
  RequestName,
  RequestResult,
} from '../../shared/api/contract';

export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface TestApp {
  backend: AppBackend;
  dataDir: string;
  call<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>>;
  close(): Promise<void>;
}

export async function startApp(opts: Partial<CreateBackendOptions> = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'wt-app-'));
  const backend = await createAppBackend({
    mode: 'serve',
    sessionOptions: { requestTimeoutMs: 10_000, backoff: { initialMs: 100, maxMs: 1000, jitter: true } },
    ...opts,
    dataDir,
  });
  return {
    backend,
    dataDir,
    async call(name, args) {
      const r = await dispatch(backend, name, args);
      if ('error' in r) throw new ApiCallError(r.error.code, r.error.message);
      return r.result as never;
    },
    close: () => backend.close(),
  };
}

/** Resolves with the first event payload matching `pred`, or rejects after `ms`. */
export function nextEvent<T>(
  backend: AppBackend,
  event: Parameters<AppBackend['events']['on']>[0],
  pred: (p: T) => boolean = () => true,
  ms = 15_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${ms} ms`));
    }, ms);
    const off = backend.events.on(event, (p) => {
      if (pred(p as T)) {
        clearTimeout(timer);
        off();
        resolve(p as T);
      }
    });
  });
}

/** Polls `f` until `ok` holds (a functional wait with a generous margin, not a speed check). */
export async function until<T>(f: () => Promise<T> | T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await f();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
    v = await f();
  }
  return v;
}

/** Keeps the payloads of one event (what a renderer would have been shown), newest last. */
export function record<E extends EventName>(
  backend: AppBackend,
  event: E,
): { all: EventPayload<E>[]; last(): EventPayload<E> | undefined; stop(): void } {
  const all: EventPayload<E>[] = [];
  const stop = backend.events.on(event, (p) => all.push(p));
  return { all, last: () => all[all.length - 1], stop };
}

/**
 * Connects to a remote tracker the way an owner does the first time: the app shows the tracker's
 * key (state `key_new`) and the owner confirms it; resolves with the online status.
 */
export async function connectTrusting(
  app: TestApp,
  profileId: string,
  identityId: string,
): Promise<EventPayload<'connection'>> {
  const first = await app.call('trackers.connect', { profileId, identityId });
  if (first.state !== 'key_new') return first;
  const online = nextEvent<EventPayload<'connection'>>(
    app.backend,
    'connection',
    (s) => s.state === 'online',
  );
  await app.call('trackers.acceptKey', { profileId, fingerprint: first.offeredFingerprint! });
  return online;
}
