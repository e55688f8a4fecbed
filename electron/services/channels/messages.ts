/** Contract and close messages of transfer channels, built in the documented field order (SPEC §4). */
import { randomBytes } from 'node:crypto';
import { settle, type Settlement } from '../../../shared/protocol/amounts';

export interface Contract {
  fromPK: string;
  toPK: string;
  channelId: string;
  fromAddress: string;
  toAddress: string;
  priceTokens: string;
  priceQuantumPower: number;
  plannedQuantumCount: number;
}

/** cmd 8 message: the fields in the order of the original documents. */
export function openMessage(c: Contract): string {
  return JSON.stringify({
    fromPK: c.fromPK,
    toPK: c.toPK,
    channelId: c.channelId,
    fromAddress: c.fromAddress,
    toAddress: c.toAddress,
    priceTokens: c.priceTokens,
    priceQuantumPower: c.priceQuantumPower,
    plannedQuantumCount: c.plannedQuantumCount,
  });
}

/** cmd 16 message: the contract plus the settlement (tokens as a string, counts as numbers). */
export function closeMessage(c: Contract, s: Settlement): string {
  return JSON.stringify({
    ...JSON.parse(openMessage(c)),
    tokens: s.tokens.toString(),
    quantumCount: Number(s.quantumCount),
    volume: Number(s.volume),
  });
}

/** The settlement for `volume` bytes sent on a channel (quanta rounded up, tokens = price × quanta). */
export function settlementFor(c: Contract, volume: bigint): Settlement {
  return settle(BigInt(c.priceTokens), c.priceQuantumPower, volume);
}

/** A fresh channel id: printable, unique for ever in practice. */
export function newChannelId(): string {
  return `ch-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}
