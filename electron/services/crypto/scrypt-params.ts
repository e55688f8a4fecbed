/**
 * scrypt parameters read from a file (a sealed key record, a wallet backup) are untrusted: they are
 * bounded before any derivation, so a crafted file gets a clear refusal, not an `ERR_CRYPTO_…` or an
 * exhausted machine.
 */

export interface ScryptBounds {
  minN: number;
  maxN: number;
  maxR: number;
  maxP: number;
  maxMemBytes: number;
  maxWork: number;
}

/** The scrypt memory Node must be allowed for these parameters (its own formula plus slack). */
export function scryptMemory(N: number, r: number): number {
  return 128 * N * r + 1024 * 1024;
}

/** What is wrong with stored parameters and their base64 salt, in words, or null when they are usable. */
export function scryptProblem(
  s: { N: number; r: number; p: number; salt: string },
  bounds: ScryptBounds,
): string | null {
  const { minN, maxN, maxR, maxP, maxMemBytes, maxWork } = bounds;
  if (s.N < minN || s.N > maxN || (s.N & (s.N - 1)) !== 0) {
    return `scrypt N must be a power of two from ${minN} to ${maxN}, not ${s.N}`;
  }
  if (s.r < 1 || s.r > maxR) return `scrypt r must be 1 to ${maxR}, not ${s.r}`;
  if (s.p < 1 || s.p > maxP) return `scrypt p must be 1 to ${maxP}, not ${s.p}`;
  if (128 * s.N * s.r > maxMemBytes) return `scrypt N × r asks for more than ${maxMemBytes / 2 ** 20} MiB`;
  if (s.N * s.r * s.p > maxWork) return 'scrypt N × r × p asks for too much work';
  const salt = Buffer.from(s.salt, 'base64').length;
  if (salt < 16 || salt > 64) return 'the salt must be 16 to 64 bytes';
  return null;
}
