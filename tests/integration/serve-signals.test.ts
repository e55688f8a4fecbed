/**
 * Stopping `npm run serve`: one signal, however it reaches the host, is one clean shutdown. A
 * terminal's Ctrl-C (or a service manager) signals the whole process group and npm forwards the
 * same signal: the host must not take the second delivery for an impatient user. A SIGTERM to npm
 * alone must not leave the host serving on its own.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'signals-test-token-0123456789';

interface Served {
  child: ChildProcess;
  /** The host's own pid (npm and a shell may stand between it and `child`). */
  pid: number;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  dataDir: string;
}

async function serve(viaNpm: boolean): Promise<Served> {
  if (!existsSync(join(root, 'out/renderer/index.html'))) {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 170_000 });
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'wt-signals-'));
  const args = ['--port', '0', '--data-dir', dataDir, `--token=${TOKEN}`];
  const child = viaNpm
    ? spawn('npm', ['run', '--silent', 'serve:nobuild', '--', ...args], {
        cwd: root,
        detached: true, // its own process group, as under a terminal
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, ['--import', 'tsx', 'electron/host/cli.ts', ...args], {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const serving = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out += `${line}\n`;
      if (!line.startsWith('{')) return;
      const e = JSON.parse(line) as { event?: string; port: number; pid: number };
      if (e.event === 'serving') resolve(e);
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before serving: ${err}`)));
  });
  return { child, ...serving, stdout: () => out, stderr: () => err, exited, dataDir };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Waits (generously) until the host process is gone. */
async function gone(pid: number, ms = 30_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function cleanup(s: Served): void {
  if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
  rmSync(s.dataDir, { recursive: true, force: true });
}

describe('stopping the served app', () => {
  it('defect 10: one SIGTERM delivered twice (process group + npm) shuts down cleanly, without "again"', async () => {
    const s = await serve(false);
    try {
      // The second delivery lands while the first shutdown runs (as npm's forward does).
      process.kill(s.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 20));
      if (alive(s.pid)) process.kill(s.pid, 'SIGTERM');
      expect(await s.exited).toBe(0);
      expect(s.stderr()).not.toMatch(/again|shutdown failed/);
      expect(s.stdout()).toContain('Wallet Tracker stopped.');
    } finally {
      cleanup(s);
    }
  }, 90_000);

  it.each([
    ['the process group of `npm run serve`', (s: Served) => -s.child.pid!],
    ['npm alone', (s: Served) => s.child.pid!],
  ])(
    'defect 10: SIGTERM to %s stops the host cleanly, not leaving it serving',
    async (_who, target) => {
      const s = await serve(true);
      try {
        process.kill(target(s), 'SIGTERM');
        expect(await gone(s.pid)).toBe(true);
        expect(await listening(s.port)).toBe(false);
        expect(s.stderr()).not.toMatch(/again|shutdown failed/);
      } finally {
        cleanup(s);
      }
    },
    90_000,
  );
});
