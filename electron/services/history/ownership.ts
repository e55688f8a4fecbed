/**
 * History seen from one identity: whose each address is and what each item does to the owner's
 * money, and the order in which an address's items happened. Pure.
 */
import type { AddressRole, ItemFlow, OwnerView } from '../../../shared/api/models';
import { PREFIX_OF_KIND } from '../../../shared/protocol/address-format';
import { TxType } from '../../../shared/protocol/commands';

export interface Owner {
  /** The identity's spend and income addresses and every spelling of its common address. */
  own: ReadonlySet<string>;
  /** Every spelling of the tracker's common address (its own wallet). */
  tracker: ReadonlySet<string>;
}

/** What ownership and money read of an item. */
export interface FlowRow {
  txId: string;
  txType: number;
  timestamp: number;
  from: string;
  to: string;
  amount: string;
}

export function roleOf(address: string, owner: Owner): AddressRole {
  if (owner.own.has(address)) {
    if (address.startsWith(PREFIX_OF_KIND.spend)) return 'spend';
    if (address.startsWith(PREFIX_OF_KIND.income)) return 'income';
    return 'common';
  }
  return owner.tracker.has(address) ? 'tracker' : 'other';
}

/**
 * + when atoms come to the owner (a settlement earned, the tracker funding a spend address), −
 * when they leave (a settlement paid, a spend address's rest returned on close), neutral when both
 * sides are the owner's. Closing an income address (to the tracker) and the FINANCIAL item that
 * pays the same atoms to the owner's common address are one move between the owner's own
 * addresses through the tracker: neutral too, else the same earnings would read as paid and earned.
 */
export function flowOf(item: FlowRow, owner: Owner): ItemFlow {
  if (item.amount === '0') return 'none';
  const fromOwn = owner.own.has(item.from);
  const toOwn = owner.own.has(item.to);
  if (fromOwn && toOwn) return 'self';
  if ((item.txType === TxType.CLOSE_INCOME && fromOwn) || (item.txType === TxType.FINANCIAL && toOwn))
    return 'self';
  if (toOwn) return 'in';
  if (fromOwn) return 'out';
  return 'none';
}

export function ownerViewOf(item: FlowRow, owner: Owner): OwnerView {
  return { from: roleOf(item.from, owner), to: roleOf(item.to, owner), flow: flowOf(item, owner) };
}

/** What an item changes on one address: + atoms received, − atoms sent (bigint, exact). */
export function deltaOn(address: string, item: FlowRow): bigint {
  if (item.from === item.to) return 0n;
  if (item.to === address) return BigInt(item.amount);
  if (item.from === address) return -BigInt(item.amount);
  return 0n;
}

/** What an item changes on the owner's addresses taken together. */
export function ownDelta(item: FlowRow, owner: Owner): bigint {
  const fromOwn = owner.own.has(item.from);
  const toOwn = owner.own.has(item.to);
  if (fromOwn === toOwn) return 0n;
  return toOwn ? BigInt(item.amount) : -BigInt(item.amount);
}

/**
 * The order items happened in: by time, then (items of one millisecond) by type, whose codes
 * follow the tracker's causal order (an address opens before its channels, a channel settles
 * before its address closes, a close before the FINANCIAL it causes), then by id.
 */
export function happenedBefore(a: FlowRow, b: FlowRow): number {
  return a.timestamp - b.timestamp || a.txType - b.txType || (a.txId < b.txId ? -1 : a.txId > b.txId ? 1 : 0);
}
