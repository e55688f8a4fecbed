/**
 * The storage port: every database operation the tracker's commands need, and the two ways to run
 * them (a read, a write). The engine (ledger/engine) talks only to this; an adapter (SQLite today,
 * ledger/storage/sqlite) implements it. Every operation returns a promise so that a networked
 * database fits the same shape.
 */
import type {
  AddressBalances,
  AddressRow,
  ChannelClose,
  ChannelRow,
  CommonRow,
  NewAddressRow,
  NewChannelRow,
  NewTxRow,
  TxRow,
} from '../engine/rows';

/** The transactions one requester sees (SPEC §4 History), frozen at `snapshotSeq`. */
export interface HistoryQuery {
  ownerId: string;
  /** Highest seq visible: later transactions never enter the result. */
  snapshotSeq: number;
  /** Oldest first when true (order: 1), else newest first. */
  ascending: boolean;
  filters: {
    txType?: number;
    channelId?: string | number;
    from?: string | number;
    to?: string | number;
  };
}

/** What a command may read. Reads see committed data only (and, in a write, that write's own). */
export interface LedgerReads {
  address(address: string): Promise<AddressRow | undefined>;
  countOpenAddresses(ownerId: string, kind: 'spend' | 'income'): Promise<number>;
  common(address: string): Promise<CommonRow | undefined>;
  commonByOwner(ownerId: string): Promise<CommonRow | undefined>;
  /** The canonical common address another spelling of it stands for. */
  commonAliasTarget(alias: string): Promise<string | undefined>;
  channel(channelId: string): Promise<ChannelRow | undefined>;
  meta(key: string): Promise<string | undefined>;
  /**
   * Highest seq of a committed transaction. Every lower seq is committed too: a history snapshot
   * taken at it never changes (an adapter whose commits may land out of seq order must keep that).
   */
  lastTxSeq(): Promise<number>;
  countHistory(q: HistoryQuery): Promise<number>;
  historyPage(q: HistoryQuery, limit: number, offset: number): Promise<TxRow[]>;
  /** Committed transactions still unsigned, oldest first (after a crash, or beyond the signer's queue). */
  unsignedTransactions(limit: number): Promise<TxRow[]>;
}

/** Where the next transaction goes in the history. */
export interface TxSlot {
  seq: number;
  notBefore: number;
}

/** What a write command may change, on top of what it may read. */
export interface LedgerWrites extends LedgerReads {
  insertAddress(row: NewAddressRow): Promise<void>;
  updateBalances(address: string, b: AddressBalances): Promise<void>;
  /** Open → closed, amount to zero. */
  closeAddress(address: string, closedAt: number): Promise<void>;
  /** Open spend/income addresses whose timeLock is before `now`, earliest first. */
  expiredAddresses(now: number): Promise<AddressRow[]>;
  insertCommon(row: Pick<CommonRow, 'address' | 'owner_id' | 'owner_pk'>): Promise<void>;
  updateCommon(row: Pick<CommonRow, 'address' | 'profit' | 'fact' | 'plan'>): Promise<void>;
  /** Records another spelling of a common address (ignored when known). */
  insertAlias(alias: string, address: string): Promise<void>;
  insertChannel(row: NewChannelRow): Promise<void>;
  closeChannel(close: ChannelClose): Promise<void>;
  /** Open channels whose timeLock is before `now`, earliest first. */
  expiredChannels(now: number): Promise<ChannelRow[]>;
  /**
   * The seq the next inserted transaction gets (tx_id = H(pk;hex(timestamp);seq)), and the lowest
   * timestamp it may carry: that of the transaction before it, so that history order by seq is also
   * order by timestamp when several nodes (several clocks) write.
   */
  nextTxSeq(): Promise<TxSlot>;
  /** Inserts a transaction unsigned (sign NULL): the engine signs it after the commit. */
  insertTransaction(row: NewTxRow, parties: string[]): Promise<void>;
  setMeta(key: string, value: string): Promise<void>;
}

/** A history cursor (SPEC §4): a frozen query plus its paging figures. */
export interface CursorRecord {
  id: string;
  query: HistoryQuery;
  pageSize: number;
  totalCount: number;
}

/** Live cursors with their TTL, the per-key cap and the global cap (least recently used go first). */
export interface CursorStore {
  create(cursor: CursorRecord, now: number): Promise<void>;
  /** The requester's live cursor, renewed; undefined when unknown, expired or another key's. */
  use(id: string, ownerId: string, now: number): Promise<CursorRecord | undefined>;
  /** Live cursors now (the metrics gauge). */
  count(now: number): Promise<number>;
}

/** The signature of a committed transaction (the canonical item signed with the tracker key). */
export interface ItemSignature {
  seq: number;
  sign: string;
}

export interface StorageObserver {
  /** One durable commit of `commands` write commands took `seconds`. */
  committed(seconds: number, commands: number): void;
}

export interface LedgerStorage {
  /** Runs a read against committed data. */
  read<T>(work: (r: LedgerReads) => Promise<T>): Promise<T>;
  /**
   * Runs a write atomically. It resolves (or rejects with the work's own error, after undoing
   * everything the work did) only once the outcome is durable: nothing is answered before then.
   * An adapter may run `work` again after a conflict with another writer, so `work` must not have
   * effects outside the storage beyond starting signatures (the caller learns which run committed).
   */
  write<T>(work: (w: LedgerWrites) => Promise<T>): Promise<T>;
  /**
   * Stores item signatures where none is stored yet (`… WHERE sign IS NULL`: any node may sign any
   * item, and a signature is a pure function of the item and the key, so the first one stays). Need
   * not be durable on its own: an item whose signature is lost is simply signed again.
   */
  saveSignatures(signs: ItemSignature[]): Promise<void>;
  readonly cursors: CursorStore;
  /** Whether the database answers now (absent: a local file, always there while open). */
  healthy?(): Promise<boolean>;
  /** Finishes the writes already queued, then releases the database. */
  close(): Promise<void>;
}
