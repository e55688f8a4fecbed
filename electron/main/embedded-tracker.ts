/**
 * Runs the embedded tracker (ledger/embedded.ts, built to out/main/ledger.js) in an Electron utility
 * process: a separate Node process that ships inside the app, so no system Node is needed. The
 * Electron counterpart of launchEmbeddedTrackerNode (electron/services/app/embedded-tracker.ts).
 *
 * The child reports over `process.parentPort`: {event: 'listening', url} once it accepts
 * connections, or {event: 'error', message} if it cannot start. stop() kills it (SIGTERM on POSIX).
 */
import { utilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import type { EmbeddedTrackerHandle, EmbeddedTrackerLauncher } from '../services/app/embedded-tracker';

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

export const launchEmbeddedTrackerElectron: EmbeddedTrackerLauncher = (args) => {
  const entry = fileURLToPath(new URL('./ledger.js', import.meta.url));
  const child = utilityProcess.fork(entry, args, { serviceName: 'Wallet Tracker embedded tracker' });
  let running = true;
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    }),
  );

  const stop = async (): Promise<void> => {
    if (!running) return;
    child.kill();
    // kill() is a request; give the process a moment, never hang the app's shutdown on it.
    await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
  };

  return new Promise<EmbeddedTrackerHandle>((resolve, reject) => {
    const fail = (error: Error) => {
      cleanup();
      void stop();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`embedded tracker did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const onMessage = (message: unknown) => {
      if (!message || typeof message !== 'object') return;
      const m = message as { event?: unknown; url?: unknown; message?: unknown };
      if (m.event === 'error') fail(new Error(`embedded tracker failed: ${String(m.message)}`));
      if (m.event === 'listening' && typeof m.url === 'string') {
        cleanup();
        resolve({ url: m.url, stop });
      }
    };
    const onExit = (code: number) => fail(new Error(`embedded tracker exited (${code}) before listening`));
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
};
