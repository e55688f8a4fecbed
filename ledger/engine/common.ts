/** Common addresses: a peer's own wallet on this tracker (SPEC §4, cmd 8192). */
import { commonAddressOf, commonAddressesOf } from '../../shared/crypto/address';
import type { ParsedKey } from '../../shared/crypto/keys';
import { ownerIdOf } from './context';
import type { Store } from './store';
import type { CommonRow } from './rows';

/** The canonical common record of a key (created on first use), with the spellings it was sent in. */
export function ensureCommon(store: Store, key: ParsedKey, sentPem?: string): CommonRow {
  const address = commonAddressOf(key.pem);
  let row = store.getCommon.get(address);
  if (!row) {
    store.insertCommon.run({ address, owner_id: ownerIdOf(key), owner_pk: key.pem });
    row = store.getCommon.get(address)!;
  }
  for (const alias of commonAddressesOf(sentPem ?? key.pem)) {
    if (alias !== address) store.insertAlias.run(alias, address);
  }
  return row;
}

/** Resolves any known spelling of a common address to its canonical record. */
export function findCommon(store: Store, address: string): CommonRow | undefined {
  const direct = store.getCommon.get(address);
  if (direct) return direct;
  const alias = store.getAlias.get(address);
  return alias ? store.getCommon.get(alias.address) : undefined;
}

export function adjustCommon(
  store: Store,
  row: CommonRow,
  delta: { profit?: bigint; fact?: bigint; plan?: bigint },
): void {
  const next = {
    address: row.address,
    profit: BigInt(row.profit) + (delta.profit ?? 0n),
    fact: BigInt(row.fact) + (delta.fact ?? 0n),
    plan: BigInt(row.plan) + (delta.plan ?? 0n),
  };
  if (next.profit < 0n || next.fact < 0n || next.plan < 0n) {
    throw new Error(`invariant violated: negative common state on ${row.address}`);
  }
  store.updateCommon.run({
    address: next.address,
    profit: next.profit.toString(),
    fact: next.fact.toString(),
    plan: next.plan.toString(),
  });
  Object.assign(row, {
    profit: next.profit.toString(),
    fact: next.fact.toString(),
    plan: next.plan.toString(),
  });
}

export function commonStateResult(address: string, row: CommonRow | undefined, trackerPem: string) {
  return {
    address,
    state: {
      own: { fact: row?.fact ?? '0', plan: row?.plan ?? '0' },
      foreign: { fact: '0', plan: '0' },
      profit: row?.profit ?? '0',
    },
    pk: trackerPem,
  };
}
