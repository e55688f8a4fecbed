/**
 * Before the end-to-end run: the served app loads the built renderer (out/renderer). Build it when
 * it is missing or older than its sources, so the suite never tests a stale bundle by accident.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = ['renderer', 'shared/api', 'shared/protocol', 'electron.vite.config.ts'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

export default function globalSetup(): void {
  const built = join(root, 'out/renderer/index.html');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const changedAt = Math.max(...SOURCES.map((s) => newest(join(root, s))));
  if (builtAt >= changedAt) return;
  console.log(builtAt ? 'e2e: out/renderer is older than its sources: rebuilding' : 'e2e: building the app');
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 300_000 });
}
