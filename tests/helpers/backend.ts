/** A real app backend (plain Node: conf settings, passphrase-protected keys, embedded tracker child). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppBackend, type CreateBackendOptions } from '../../electron/services/app/create-backend';
import { dispatch, type AppBackend } from '../../electron/services/api/backend';
import type { RequestArgs, RequestName, RequestResult } from '../../shared/api/contract';

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
