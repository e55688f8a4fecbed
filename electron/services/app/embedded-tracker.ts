/** Starts the embedded tracker (ledger/embedded.ts) as a child process in plain Node. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

export interface EmbeddedTrackerHandle {
  url: string;
  stop(): Promise<void>;
}

/** Electron passes its own launcher (utilityProcess); plain Node uses launchEmbeddedTrackerNode. */
export type EmbeddedTrackerLauncher = (args: string[]) => Promise<EmbeddedTrackerHandle>;

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Arguments for the embedded tracker keeping its data in the app's data folder. It serves one
 * user on 127.0.0.1: one crypto worker keeps its signing off the event loop without a thread per
 * core, and an idle app (every identity locked) keeps its connection.
 */
export function embeddedTrackerArgs(dataDir: string): string[] {
  return [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--db',
    join(dataDir, 'tracker', 'ledger.sqlite'),
    '--workers',
    '1',
    '--idle-timeout-s',
    '86400',
    '--quiet',
  ];
}

export const launchEmbeddedTrackerNode: EmbeddedTrackerLauncher = (args) => {
  const built = join(root, 'out/main/ledger.js');
  const source = join(root, 'ledger/embedded.ts');
  const fromSource = existsSync(source);
  const child = fork(fromSource ? source : built, args, {
    cwd: root,
    execArgv: fromSource ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`embedded tracker exited (${code}) before listening`)));
    child.on('message', (m: unknown) => {
      const msg = m as { event?: string; url?: string; message?: string };
      if (msg.event === 'error') reject(new Error(`embedded tracker failed: ${msg.message}`));
      if (msg.event === 'listening' && msg.url) {
        resolve({
          url: msg.url,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGTERM');
              await exited;
            }
          },
        });
      }
    });
  });
};
