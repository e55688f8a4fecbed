/** Writes text lines to a file that appears under its name only when complete. */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';

const CHUNK_LINES = 500;

/**
 * Streams `lines` to `${path}.partial` in chunks honouring backpressure, then renames it to `path`;
 * on any failure the partial file is removed. Returns the number of lines written.
 */
export async function writeLinesAtomically(path: string, lines: Iterable<string>): Promise<number> {
  const partial = `${path}.partial`;
  const out = createWriteStream(partial, { flags: 'w', highWaterMark: 256 * 1024 });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const write = async (chunk: string): Promise<void> => {
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
  };
  let count = 0;
  try {
    let chunk: string[] = [];
    for (const line of lines) {
      chunk.push(line);
      count++;
      if (chunk.length >= CHUNK_LINES) {
        await write(chunk.join(''));
        chunk = [];
      }
    }
    if (chunk.length > 0) await write(chunk.join(''));
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
    await rename(partial, path);
    return count;
  } catch (e) {
    out.destroy();
    await rm(partial, { force: true });
    throw e;
  }
}
