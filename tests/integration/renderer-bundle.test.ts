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
import { cspOf } from '../../electron/host/serve';

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

  it('index.html sets the strict CSP: no inline scripts or styles', () => {
    const csp = cspOf(readFileSync(join(out, 'index.html'), 'utf8'));
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    // Ignored in a meta tag, with a console error on every load: the served host sends it as a header.
    expect(csp).not.toContain('frame-ancestors');
  });

  it('sets styles only through the CSSOM, which style-src without unsafe-inline allows', () => {
    // :style bindings compile to normalizeStyle(...) objects that Vue applies with
    // style.setProperty; a style attribute in HTML (static content inserted with innerHTML, or
    // setAttribute) would be blocked. No template may be compiled to static HTML with one.
    const staticHtml = [...js.matchAll(/createStaticVNode\(\s*("(?:[^"\\]|\\.)*"|`[^`]*`)/g)].map(
      (m) => m[1]!,
    );
    for (const html of staticHtml) expect(html).not.toMatch(/\sstyle=/);
    expect(js).not.toMatch(/setAttribute\(\s*["']style["']/);
    expect(js).toContain('normalizeStyle(');
  });
});
