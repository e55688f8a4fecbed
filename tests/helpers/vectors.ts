/** The original API documents' examples, copied into fixtures (see fixtures/vectors/README.md). */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export interface Vector {
  file: string;
  cmd: number;
  name: string;
  request: Record<string, string>;
  response: { message: string; sign: string };
}

const dir = fileURLToPath(new URL('../fixtures/vectors/', import.meta.url));

export function loadVectors(): Vector[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<Vector, 'file'>) }))
    .sort((a, b) => a.cmd - b.cmd);
}

export function vector(cmd: number): Vector {
  const v = loadVectors().find((x) => x.cmd === cmd);
  if (!v) throw new Error(`no vector for cmd ${cmd}`);
  return v;
}
