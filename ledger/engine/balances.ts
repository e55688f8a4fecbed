/** Bigint view of an address row's balances, and the address-state result built from it. */
import { toJsonInteger } from '../../shared/protocol/amounts';
import type { LedgerWrites } from '../storage/port';
import type { AddressRow } from './rows';
import type { AddressStateOut } from './results';

export interface Balances {
  amount: bigint;
  quantumVolume: bigint;
  volume: bigint;
  reserved: bigint;
  plannedBytes: bigint;
  openChannels: number;
}

export function balancesOf(row: AddressRow): Balances {
  return {
    amount: BigInt(row.amount),
    quantumVolume: BigInt(row.quantum_volume),
    volume: BigInt(row.volume),
    reserved: BigInt(row.reserved),
    plannedBytes: BigInt(row.planned_bytes),
    openChannels: row.open_channels,
  };
}

export async function saveBalances(w: LedgerWrites, address: string, b: Balances): Promise<void> {
  if (b.amount < 0n || b.reserved < 0n || b.plannedBytes < 0n || b.openChannels < 0) {
    // Unreachable by construction; refusing here keeps a logic error from ever being committed.
    throw new Error(`invariant violated: negative balance on ${address}`);
  }
  await w.updateBalances(address, {
    amount: b.amount.toString(),
    quantum_volume: b.quantumVolume.toString(),
    volume: b.volume.toString(),
    reserved: b.reserved.toString(),
    planned_bytes: b.plannedBytes.toString(),
    open_channels: b.openChannels,
  });
}

/** limit.amount: what a spend address can still promise; what an income address will have. */
export function limitAmount(row: AddressRow): bigint {
  const b = balancesOf(row);
  return row.kind === 'income' ? b.amount + b.reserved : b.amount - b.reserved;
}

export function addressStateResult(row: AddressRow, trackerPem: string): AddressStateOut {
  const b = balancesOf(row);
  return {
    address: row.address,
    current: {
      amount: b.amount.toString(),
      quantumVolume: toJsonInteger(b.quantumVolume),
      volume: toJsonInteger(b.volume),
    },
    limit: {
      amount: limitAmount(row).toString(),
      quantumVolume: toJsonInteger(b.quantumVolume + b.plannedBytes),
    },
    price: { amount: row.price_amount, quantumPower: row.price_power },
    pk: trackerPem,
    timeLock: row.time_lock,
  };
}
