/**
 * One step of a story told in a single test (each step builds on the one before): a failure names
 * its step. A story is one test, so no test depends on another having run first.
 */
export async function step(name: string, fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof Error) e.message = `${name}: ${e.message}`;
    throw e;
  }
}
