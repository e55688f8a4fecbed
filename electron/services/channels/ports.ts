/**
 * What the wallet service needs from the tracker connection and from the local cache. Kept as
 * interfaces so the service reads as the channel lifecycle, not as transport or SQL code.
 */
import type { Signer, DoubleSignedPayload } from './types';
import type { AddressView, ChannelView, CommonStateView } from '../../../shared/api/models';

export interface AddressStateData {
  address: string;
  amount: string;
  quantumVolume: string;
  volume: string;
  limitAmount: string;
  limitQuantumVolume: string;
  priceAmount: string;
  pricePower: number;
  timeLock: number;
}

export interface CommonStateData {
  address: string;
  fact: string;
  plan: string;
  profit: string;
  foreignFact: string;
  foreignPlan: string;
}

export interface TrackerApi {
  openAddress(kind: 'spend' | 'income', signer: Signer): Promise<AddressStateData>;
  /** Resolves with the state before the close, or null when it closed while the connection was lost. */
  closeAddress(
    kind: 'spend' | 'income',
    signer: Signer,
    address: string,
  ): Promise<{ amount: string; quantumVolume: string; volume: string } | null>;
  addressState(kind: 'spend' | 'income', signer: Signer, address: string): Promise<AddressStateData>;
  openTransfer(payload: DoubleSignedPayload): Promise<{ timeLock: number }>;
  closeTransfer(payload: DoubleSignedPayload): Promise<void>;
  channelState(signer: Signer, channelId: string): Promise<1 | 2 | 4>;
  commonState(signer: Signer, address: string): Promise<CommonStateData>;
}

/** What the synced history says about a channel: its open and close transactions. */
export interface ChannelTransactions {
  open: { timelock: number } | null;
  close: { quantumCount: string; tokens: string; volume: string; timestamp: number } | null;
}

export interface StateStore {
  channelTransactions(scope: string, channelId: string): ChannelTransactions;
  upsertAddress(scope: string, view: AddressView): void;
  listAddresses(scope: string): AddressView[];
  upsertChannel(scope: string, view: ChannelView): void;
  listChannels(scope: string): ChannelView[];
  setCommon(scope: string, view: CommonStateView): void;
  getCommon(scope: string): CommonStateView | null;
}
