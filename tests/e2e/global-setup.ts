/**
 * Before the end-to-end run: the served app loads the built renderer (out/renderer). Build it when
 * it is missing or older than its sources, so the suite never tests a stale bundle by accident.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildState } from '../../scripts/test-setup.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

export default function globalSetup(): void {
  const { state, reason } = buildState(root);
  if (state === 'fresh') return;
  console.log(`e2e: ${reason}: building the app`);
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 300_000 });
}
