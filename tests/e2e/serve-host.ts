/** Starts the served app (`node --import tsx electron/host/cli.ts`, what `npm run serve` runs after building). */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ServedApp {
  url: string;
  /** The page URL with the access token. */
  appUrl: string;
  token: string;
  dataDir: string;
  port: number;
  child: ChildProcess;
  /** What the host wrote to stderr and stdout so far. */
  stderr(): string;
  stdout(): string;
  /** Sends SIGTERM `times` times, `gapMs` apart (a terminal's group signal plus npm's forward); resolves with the exit code. */
  terminate(times?: number, gapMs?: number): Promise<number | null>;
  stop(): Promise<void>;
}

export async function startServedApp(
  opts: { dataDir?: string; port?: number; token?: string; env?: Record<string, string> } = {},
): Promise<ServedApp> {
  if (!existsSync(join(root, 'out/renderer/index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` before the end-to-end tests');
  }
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'wt-e2e-'));
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'electron/host/cli.ts',
      '--port',
      String(opts.port ?? 0),
      '--data-dir',
      dataDir,
      // One argument: a random token may start with '-', which would read as an option.
      `--token=${token}`,
    ],
    { cwd: root, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exitCode = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const exited = exitCode.then(() => undefined);
  const serving = await new Promise<{ origin: string; port: number }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      stdout += `${line}\n`;
      if (!line.startsWith('{')) return;
      try {
        const e = JSON.parse(line) as { event?: string; origin?: string; port?: number };
        if (e.event === 'serving' && e.origin && e.port) resolve({ origin: e.origin, port: e.port });
      } catch {
        /* not ours */
      }
    });
    void exited.then(() => reject(new Error(`serve host exited before serving: ${stderr}`)));
  }).catch((e: unknown) => {
    // A folder made here for a host that never served is removed again.
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  const base = serving.origin.replace(/\/$/, '');
  return {
    url: base,
    appUrl: `${base}/#token=${token}`,
    token,
    dataDir,
    port: serving.port,
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    terminate: async (times = 1, gapMs = 20) => {
      for (let i = 0; i < times && child.exitCode === null && child.signalCode === null; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
        child.kill('SIGTERM');
      }
      return exitCode;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
