/**
 * The writing half of a history sync: pages of new items go in as they are fetched; their
 * signatures are checked (a few inline, a big page on a worker thread) while later pages are being
 * fetched and earlier ones written; items are stored in page order, in batches, each batch with the
 * progress it completes. A failure stops the queue: what was stored stays, the error is rethrown by
 * `add` or `finish`.
 */
import type { EncodedItem } from './item-codec';
import { signedText } from './item-codec';
import { checkable, itemSignatureVerdict, SignatureChecker, type ItemVerifier } from './signature-checker';
import type { EncodedStoredItem } from './transaction-store';

/** A new item of a page: encoded for the cache, and as received (what its signature covers). */
export interface FreshItem {
  item: EncodedItem;
  raw: Record<string, unknown>;
}

/** Signatures of a page checked on the spot below this many (a worker's start costs more). */
const INLINE_CHECKS = 64;

export interface StoreQueueOptions {
  verifier: ItemVerifier;
  /** Worker threads checking signatures with the verifier's key (asked for once a page is big). */
  checker(): SignatureChecker;
  /** Items per database transaction. */
  flushItems: number;
  /** Pages waiting to be stored before `add` waits for the oldest. */
  pagesAhead: number;
  report: { invalid: number; unverifiable: number };
  /** Writes a batch, then records that positions 0..processed-1 are cached (−1: nothing to record). */
  store(rows: EncodedStoredItem[], processed: number): void;
}

interface Page {
  rows: EncodedStoredItem[];
  /** Verdicts of the rows at `checked` (1 = verifies), in order. */
  verdicts: Promise<Uint8Array> | null;
  checked: number[];
  processed: number | null;
  flushNow: boolean;
}

export class StoreQueue {
  private checker: SignatureChecker | null = null;
  private buffer: EncodedStoredItem[] = [];
  private processed = -1;
  /** Pages not stored yet, oldest first, each as the promise of its storing. */
  private readonly inFlight: Promise<void>[] = [];
  private chain: Promise<void> = Promise.resolve();
  private error: unknown = null;

  constructor(private readonly o: StoreQueueOptions) {}

  /**
   * Queues a page's new items and the position its end reaches (null: no new position, e.g. a page
   * read again); `flushNow` writes everything buffered once this page is in. Waits while
   * `pagesAhead` pages are still to be stored.
   */
  async add(fresh: readonly FreshItem[], processed: number | null, flushNow: boolean): Promise<void> {
    this.throwIfFailed();
    const page = this.check(fresh, processed, flushNow);
    const stored = (this.chain = this.chain
      .then(() => this.store(page))
      .catch((e: unknown) => {
        this.error ??= e;
      }));
    this.inFlight.push(stored);
    void stored.then(() => this.inFlight.splice(this.inFlight.indexOf(stored), 1));
    while (this.inFlight.length > this.o.pagesAhead) await this.inFlight[0];
    this.throwIfFailed();
  }

  /** Stores every queued page and what is buffered. Rethrows a failure. */
  async finish(): Promise<void> {
    await this.chain;
    try {
      if (!this.error) this.flush();
    } catch (e) {
      this.error ??= e;
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }

  /** Starts the page's signature checks: verdicts now, or a promise of them from the worker. */
  private check(fresh: readonly FreshItem[], processed: number | null, flushNow: boolean): Page {
    const { verifier } = this.o;
    const rows: EncodedStoredItem[] = [];
    const checked: number[] = [];
    for (const f of fresh) {
      if (checkable(f.item.sign, verifier)) checked.push(rows.length);
      rows.push({ item: f.item, signature: 'unverifiable' });
    }
    let verdicts: Promise<Uint8Array> | null = null;
    if (checked.length >= INLINE_CHECKS || (this.checker && checked.length > 0)) {
      this.checker ??= this.o.checker();
      verdicts = this.checker.check(
        checked.map((i) => signedText(fresh[i]!.raw)),
        checked.map((i) => fresh[i]!.item.sign as Buffer),
      );
      // Handled when the page is stored; a rejection before then is not an unhandled one.
      verdicts.catch(() => undefined);
    } else {
      for (const i of checked) rows[i]!.signature = itemSignatureVerdict(fresh[i]!.raw, verifier);
    }
    return { rows, verdicts, checked, processed, flushNow };
  }

  private async store(page: Page): Promise<void> {
    if (this.error) return;
    if (page.verdicts) {
      const ok = await page.verdicts;
      page.checked.forEach((row, k) => (page.rows[row]!.signature = ok[k] ? 'valid' : 'invalid'));
    }
    for (const r of page.rows) {
      if (r.signature === 'invalid') this.o.report.invalid++;
      else if (r.signature === 'unverifiable') this.o.report.unverifiable++;
    }
    this.buffer.push(...page.rows);
    if (page.processed !== null) this.processed = page.processed;
    if (page.flushNow || this.buffer.length >= this.o.flushItems) this.flush();
  }

  private flush(): void {
    const rows = this.buffer;
    this.buffer = [];
    this.o.store(rows, this.processed);
  }
}
