/**
 * What the wallet services need from the tracker connection, the local cache and the reconciler.
 * Kept as interfaces so the services read as the channel lifecycle, not as transport or SQL code.
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

/** The live tracker connection the wallet reads and writes through. */
export interface Connection {
  api: TrackerApi;
  trackerFingerprint: string;
  /**
   * Changes whenever the session or the tracker key it pins changes: work begun on one generation
   * writes nothing once another has begun (it would land in the wrong tracker's cache).
   */
  generation: number;
}

/** What the synced history says about a channel: its open and close transactions. */
export interface ChannelTransactions {
  open: { timelock: number; timestamp: number } | null;
  close: { quantumCount: string; tokens: string; volume: string; timestamp: number } | null;
}

/** Facts the wallet reads from the synced history of a scope. */
export interface HistoryFacts {
  channelTransactions(scope: string, channelId: string): ChannelTransactions;
  /** When a spend or income address was closed (its TX_CLOSE_SPEND/INCOME), or null when not synced. */
  addressClosedAt(scope: string, address: string): number | null;
  /** Every spend and income address the scope's synced history shows the identity opening. */
  openedAddresses(scope: string): string[];
}

/** The last known states of a scope. */
export interface StateStore {
  upsertAddresses(scope: string, views: readonly AddressView[]): void;
  listAddresses(scope: string): AddressView[];
  upsertChannels(scope: string, views: readonly ChannelView[]): void;
  listChannels(scope: string): ChannelView[];
  setCommonState(scope: string, view: CommonStateView): void;
  getCommonState(scope: string): CommonStateView | null;
}

/**
 * Why the app brings an identity up to date. `refresh` (the user asked) reports failures to its
 * caller; every other trigger runs in the background and never rejects.
 */
export type ReconcileReason = 'online' | 'write' | 'timer' | 'refresh';

export interface Reconcile {
  reconcile(identityId: string, reason: ReconcileReason): Promise<void>;
}
