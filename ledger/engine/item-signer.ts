/**
 * History item signatures, made after the commit (docs/protocol-decisions.md, "Item signatures").
 *
 * A command stores its transactions unsigned and is answered once they are committed; the item
 * signatures are made here, on the crypto pool at background priority (only when no answer waits
 * for a signature), and stored in batches where none is stored yet. PKCS#1 v1.5 signatures are
 * deterministic, so an item signed later, twice or by another node is byte-identical to one signed
 * inline. A history read signs the unsigned items of its page itself before answering, so no client
 * ever receives an unsigned item; after a crash the leftovers are found in the database (`sweep`).
 */
import type { ItemSignature, LedgerStorage } from '../storage/port';
import type { Logger } from '../log';
import type { LedgerContext } from './context';
import type { NewTxRow, TxRow } from './rows';
import { itemSigningText } from './transactions';

/** Items signed and stored together. */
const BATCH = 64;
/** Items held in memory at most; beyond, they wait in the database for a sweep. */
const MAX_QUEUED = 20_000;
/** Pause after a failed batch (database unreachable) before trying again. */
const RETRY_MS = 1000;

export class ItemSigner {
  private readonly queue: NewTxRow[] = [];
  /** Unsigned rows may be in the database and not in the queue (start, overflow, failures). */
  private sweepWanted = true;
  private running: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Items of the batch being signed and stored. */
  private inFlight = 0;

  constructor(
    private readonly ctx: LedgerContext,
    private readonly storage: LedgerStorage,
    private readonly log: Logger,
  ) {}

  /** Items committed and not yet signed by this signer (the metrics gauge). */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** The transactions of a write that committed: signed in the background. */
  committed(rows: readonly NewTxRow[]): void {
    if (this.closed || rows.length === 0) return;
    if (this.queue.length + rows.length > MAX_QUEUED) this.sweepWanted = true;
    else this.queue.push(...rows);
    this.kick();
  }

  /** Looks for unsigned items in the database too (at start, and periodically: other nodes' crashes). */
  sweep(): void {
    this.sweepWanted = true;
    this.kick();
  }

  /**
   * The rows of a history page, every one signed: the unsigned ones are signed now (at normal
   * priority: a client waits) and stored; the page never waits for the background queue.
   */
  async signed(rows: TxRow[]): Promise<TxRow[]> {
    const missing = rows.filter((r) => r.sign === null);
    if (missing.length === 0) return rows;
    const signs = await this.sign(missing, false);
    const bySeq = new Map(signs.map((s) => [s.seq, s.sign]));
    try {
      await this.storage.saveSignatures(signs);
    } catch (e) {
      // The answer is right either way (the signature is deterministic); the background signer or
      // the next read stores it.
      this.log.error('item_signatures_not_saved', { error: String(e) });
    }
    return rows.map((r) => (r.sign === null ? { ...r, sign: bySeq.get(r.seq)! } : r));
  }

  /** Waits for the queue to empty (a clean stop) or the signer to pause after a failure. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops: what is still unsigned stays in the database for the next start (or another node). */
  close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    return this.running ?? Promise.resolve();
  }

  private sign(rows: readonly NewTxRow[], background: boolean): Promise<ItemSignature[]> {
    return Promise.all(
      rows.map(async (row) => ({
        seq: row.seq,
        sign: await this.ctx.crypto.sign(itemSigningText(row, this.ctx.trackerPem), background),
      })),
    );
  }

  private kick(): void {
    if (this.running || this.closed || this.retryTimer) return;
    this.running = this.run().finally(() => {
      this.running = null;
    });
  }

  private async run(): Promise<void> {
    try {
      while (!this.closed) {
        let batch: NewTxRow[] = this.queue.splice(0, BATCH);
        if (batch.length === 0 && this.sweepWanted) {
          this.sweepWanted = false;
          batch = await this.storage.read((r) => r.unsignedTransactions(BATCH));
          if (batch.length === BATCH) this.sweepWanted = true;
        }
        if (batch.length === 0) return;
        this.inFlight = batch.length;
        const signs = await this.sign(batch, true);
        if (this.closed) return;
        await this.storage.saveSignatures(signs);
        this.inFlight = 0;
      }
    } catch (e) {
      this.inFlight = 0;
      if (this.closed) return;
      // Whatever was in flight is still unsigned in the database: a later sweep finds it.
      this.log.error('item_signing_failed', { error: String(e) });
      this.sweepWanted = true;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.kick();
      }, RETRY_MS);
      this.retryTimer.unref();
    }
  }
}
