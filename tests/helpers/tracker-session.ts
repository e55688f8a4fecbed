/** Small conveniences over RawClient for the ledger integration tests (real sockets, real keys). */
import { expect } from 'vitest';
import { verifyMessage } from '../../shared/crypto/sign';
import { canonicalJson } from '../../shared/protocol/schemas';
import { RawClient, type Frame, type TestPeer, errorCodeOf } from './raw-client';

export interface Item {
  tx_id: string;
  parent_tx_id: string;
  tx_type: number;
  from: string;
  to: string;
  amount: number | string;
  volume: number | string;
  quantum_count: number | string;
  contract_id: string;
  price_amount: number | string;
  price_quantum_power: number;
  planned_quantum_count: number | string;
  timelock: number;
  timestamp: number;
  status: number;
  version: string;
  pk: string;
  sign: string;
}

export interface AddressState {
  address: string;
  current: { amount: string; quantumVolume: number | string; volume: number | string };
  limit: { amount: string; quantumVolume: number | string };
  price: { amount: string; quantumPower: number };
  pk: string;
  timeLock: number;
  lifetime?: number;
}

export interface CommonState {
  address: string;
  state: { own: { fact: string; plan: string }; foreign: { fact: string; plan: string }; profit: string };
  pk: string;
}

/** Sends a request; rejects as soon as the socket closes (a killed tracker never answers). */
export function call(client: RawClient, cmd: number, payload: unknown, corrToken?: string): Promise<Frame> {
  return Promise.race([
    client.request(cmd, payload, corrToken),
    client.waitClose().then((code) => {
      throw new Error(`socket closed (${code}) before the answer to cmd ${cmd}`);
    }),
  ]);
}

/** The parsed result of a success frame, after checking its signature with the pinned tracker key. */
export function ok<T = Record<string, unknown>>(f: Frame, trackerPem: string): T {
  if (f.error !== undefined) throw new Error(`expected success, got ${f.error}`);
  const data = f.data as { message: string; sign: string };
  expect(verifyMessage(data.message, data.sign, trackerPem), 'response signature').toBe(true);
  try {
    return JSON.parse(data.message) as T;
  } catch {
    return data.message as T;
  }
}

/** A handshake (cmd 1) by `peer`: the tracker PEM, checked against its own signature. */
export async function handshake(client: RawClient, peer: TestPeer): Promise<string> {
  const f = await call(client, 1, peer.pemPayload());
  if (f.error !== undefined) throw new Error(`handshake refused: ${f.error}`);
  return ok<string>(f, (f.data as { message: string }).message);
}

export function codeOf(f: Frame): string | undefined {
  return errorCodeOf(f);
}

/** Every history item of a peer, oldest first (order: 1), paging through one cursor. */
export async function fullHistory(
  client: RawClient,
  peer: TestPeer,
  trackerPem: string,
  pageSize = 100,
): Promise<Item[]> {
  const first = ok<{ _meta: { cursorId: string; totalCount: number; pageCount: number }; items: Item[] }>(
    await call(client, 1024, peer.json({ limits: { pageSize, page: 1 }, order: 1 })),
    trackerPem,
  );
  const items = [...first.items];
  for (let page = 2; page <= first._meta.pageCount; page++) {
    const next = ok<{ items: Item[] }>(
      await call(client, 2048, peer.json({ cursorId: first._meta.cursorId, page })),
      trackerPem,
    );
    items.push(...next.items);
  }
  expect(items.length).toBe(first._meta.totalCount);
  for (const it of items) {
    const { sign, ...unsigned } = it;
    expect(verifyMessage(canonicalJson(unsigned), sign, trackerPem), `item ${it.tx_id} signature`).toBe(true);
  }
  return items;
}

/** Polls `probe` until it returns a truthy value or the deadline passes. */
export async function until<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
