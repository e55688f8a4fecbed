/**
 * The one door from stores to the main process. main.ts installs the real transport (`api` from
 * ../api); component tests install a recording fake. Stores never import ../api directly, so they
 * stay testable without Electron or a bridge.
 */
import type { ApiTransport } from '../../../shared/api/contract';

let current: ApiTransport | null = null;

export function setTransport(t: ApiTransport | null): void {
  current = t;
}

export function transport(): ApiTransport {
  if (!current) throw Object.assign(new Error('API transport not installed'), { code: 'INTERNAL' });
  return current;
}
