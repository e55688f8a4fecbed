/**
 * The one door from stores to the main process. main.ts installs the real transport (`api` from
 * ../api); component tests install a recording fake. Stores never import ../api directly, so they
 * stay testable without Electron or a bridge.
 */
import type { ApiTransport } from '../../../shared/api/contract';

/** State of the link to the served app's host (the browser's WebSocket to `npm run serve`). */
export type HostState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'closed';

/** The link itself, where there is one: in Electron the main process cannot go away under the UI. */
export interface HostLink {
  readonly state: HostState;
  onState(listener: (state: HostState) => void): () => void;
}

let current: ApiTransport | null = null;
let link: HostLink | null = null;

export function setTransport(t: ApiTransport | null, hostLink: HostLink | null = null): void {
  current = t;
  link = hostLink;
}

export function transport(): ApiTransport {
  if (!current) throw Object.assign(new Error('API transport not installed'), { code: 'INTERNAL' });
  return current;
}

export function hostLink(): HostLink | null {
  return link;
}
