/** Common addresses: a peer's own wallet on this tracker (SPEC §4, cmd 8192). */
import { commonAddressOf, commonAddressesOf } from '../../shared/crypto/address';
import type { ParsedKey } from '../../shared/crypto/keys';
import type { LedgerReads, LedgerWrites } from '../storage/port';
import { ownerIdOf } from './context';
import type { CommonRow } from './rows';
import type { CommonStateOut } from './results';

/** The canonical common record of a key (created on first use), with the spellings it was sent in. */
export async function ensureCommon(w: LedgerWrites, key: ParsedKey, sentPem?: string): Promise<CommonRow> {
  const address = commonAddressOf(key.pem);
  let row = await w.common(address);
  if (!row) {
    await w.insertCommon({ address, owner_id: ownerIdOf(key), owner_pk: key.pem });
    row = (await w.common(address))!;
  }
  for (const alias of commonAddressesOf(sentPem ?? key.pem)) {
    if (alias !== address) await w.insertAlias(alias, address);
  }
  return row;
}

/** Resolves any known spelling of a common address to its canonical record. */
export async function findCommon(r: LedgerReads, address: string): Promise<CommonRow | undefined> {
  const direct = await r.common(address);
  if (direct) return direct;
  const target = await r.commonAliasTarget(address);
  return target ? r.common(target) : undefined;
}

export async function adjustCommon(
  w: LedgerWrites,
  row: CommonRow,
  delta: { profit?: bigint; fact?: bigint; plan?: bigint },
): Promise<void> {
  const next = {
    address: row.address,
    profit: BigInt(row.profit) + (delta.profit ?? 0n),
    fact: BigInt(row.fact) + (delta.fact ?? 0n),
    plan: BigInt(row.plan) + (delta.plan ?? 0n),
  };
  if (next.profit < 0n || next.fact < 0n || next.plan < 0n) {
    throw new Error(`invariant violated: negative common state on ${row.address}`);
  }
  const saved = {
    address: next.address,
    profit: next.profit.toString(),
    fact: next.fact.toString(),
    plan: next.plan.toString(),
  };
  await w.updateCommon(saved);
  Object.assign(row, saved);
}

export function commonStateResult(
  address: string,
  row: CommonRow | undefined,
  trackerPem: string,
): CommonStateOut {
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
