/** Every error code the main process can raise is in the list the renderer translates. */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ERROR_CODES, APP_ERROR_CODES } from '../../shared/api/errors';
import { ERROR_CODES } from '../../shared/protocol/errors';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('API error codes', () => {
  it('lists every error code raised in electron/ and by the renderer’s API clients', () => {
    const raised = new Set<string>();
    for (const file of [...sources(join(root, 'electron')), ...sources(join(root, 'renderer/src/api'))]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:AppError|ApiCallError|apiError)\(\s*'([A-Z_]+)'/g)) raised.add(m[1]!);
      for (const m of text.matchAll(/code: '([A-Z_]+)'/g)) raised.add(m[1]!);
    }
    expect(raised.size).toBeGreaterThan(10);
    const missing = [...raised].filter((c) => !API_ERROR_CODES.includes(c));
    expect(missing).toEqual([]);
  });

  it('includes the tracker codes of SPEC §8 and has no duplicates', () => {
    for (const c of ERROR_CODES) expect(API_ERROR_CODES).toContain(c);
    expect(new Set(APP_ERROR_CODES).size).toBe(APP_ERROR_CODES.length);
  });
});
