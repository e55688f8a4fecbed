/**
 * The built renderer (what Electron and `npm run serve` load) carries no node-only code: no
 * node:crypto, no ws/better-sqlite3, no private-key handling, and nothing that needs eval under
 * the strict CSP.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'out/renderer');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('renderer bundle', () => {
  let js = '';
  beforeAll(() => {
    if (!existsSync(join(out, 'index.html'))) {
      execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 170_000 });
    }
    js = files(out)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
  }, 180_000);

  it('has JavaScript to check', () => {
    expect(js.length).toBeGreaterThan(10_000);
  });

  it('pulls in no node-only module', () => {
    for (const marker of [
      'node:crypto',
      'createPrivateKey',
      'better-sqlite3',
      'generateKeyPairSync',
      'xxhash-wasm',
    ]) {
      expect(js, marker).not.toContain(marker);
    }
  });

  it('needs no eval under the CSP', () => {
    expect(js).not.toMatch(/\bnew Function\(/);
    expect(js).not.toMatch(/\beval\(/);
  });

  it('index.html sets the strict CSP', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain("default-src 'self'");
    expect(html).toContain("script-src 'self'");
    expect(html).toContain("object-src 'none'");
  });
});
