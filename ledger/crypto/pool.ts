/**
 * RSA signing and verification on a pool of worker threads (`--workers N`), so that every core
 * signs while the main thread parses frames and runs the database.
 *
 * Jobs wait in the main thread and each worker is kept a couple of milliseconds of work ahead, so
 * that the order can still change: checks with the largest keys allowed (an 8192-bit modulus, a
 * 32-bit exponent: ~50 times an ordinary check) wait in a queue of their own, served when nothing
 * else waits or once they have waited long, so that a burst of them does not hold up everybody
 * else. Background signatures (history items signed after their commit) are taken only when nothing
 * else waits, at most one per worker at a time, so that they never delay an answer by more than one
 * signature. A worker that dies fails its jobs (those commands answer INTERNAL) and is replaced.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { KeyObject } from 'node:crypto';
import type { ParsedKey } from '../../shared/crypto/keys';
import { CRYPTO_WORKER_SOURCE } from './worker-source';
import type { TrackerCrypto } from './service';

type Job =
  [id: number, kind: 0, message: string] | [id: number, kind: 1, message: string, sign: string, pem: string];

interface Queued {
  job: Job;
  cost: number;
  queuedAt: number;
  resolve(v: string | boolean): void;
  reject(e: Error): void;
}

/** Costs in checks of an RSA-2048 key with exponent 65537; a signature is about ten of them. */
const SIGN_COST = 10;
/** Work handed to one worker ahead of time (~2 ms): enough to keep it busy between two messages. */
const WORKER_BUDGET = 6 * SIGN_COST;
/** A check costlier than this goes to the queue of expensive checks. */
const HEAVY_COST = 2 * SIGN_COST;
/** A worker takes background work only while its load is below this (one signature in flight). */
const BACKGROUND_BUDGET = SIGN_COST;
/** Longest an expensive check waits while cheaper work keeps arriving. */
const HEAVY_MAX_WAIT_MS = 100;

const costs = new WeakMap<ParsedKey, number>();

/** A verification's cost: modulus² times the multiplications the exponent takes. */
export function verifyCost(key: ParsedKey): number {
  const known = costs.get(key);
  if (known !== undefined) return known;
  const details = key.key.asymmetricKeyDetails;
  const bits = details?.modulusLength ?? 2048;
  const e = details?.publicExponent ?? 65537n;
  const binary = e.toString(2);
  const multiplications = binary.length + binary.replace(/0/g, '').length;
  const cost = Math.max(1, ((bits / 2048) ** 2 * multiplications) / 19);
  costs.set(key, cost);
  return cost;
}

class PoolWorker {
  readonly pending = new Map<number, Queued>();
  load = 0;
  private worker: Worker;
  private closing = false;

  constructor(
    private readonly privateKey: KeyObject,
    private readonly onIdle: () => void,
    private readonly onLost: () => void,
  ) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = new Worker(CRYPTO_WORKER_SOURCE, {
      eval: true,
      workerData: { privateKey: this.privateKey },
    });
    worker.on('message', (results: unknown[]) => {
      for (let i = 0; i < results.length; i += 2) {
        const id = results[i] as number;
        const r = results[i + 1] as string | boolean | { error: string };
        const q = this.pending.get(id);
        if (!q) continue;
        this.pending.delete(id);
        this.load -= q.cost;
        if (typeof r === 'object') q.reject(new Error(`signing failed: ${r.error}`));
        else q.resolve(r);
      }
      this.onIdle();
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`crypto worker exited (${code})`));
    });
    return worker;
  }

  private fail(e: Error): void {
    for (const q of this.pending.values()) q.reject(e);
    this.pending.clear();
    this.load = 0;
    if (this.closing) return;
    void this.worker.terminate();
    this.worker = this.spawn();
    this.onLost();
    this.onIdle();
  }

  post(batch: Queued[]): void {
    for (const q of batch) {
      this.pending.set(q.job[0], q);
      this.load += q.cost;
    }
    this.worker.postMessage(batch.map((q) => q.job));
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const q of this.pending.values()) q.reject(new Error('the crypto pool is closed'));
    this.pending.clear();
    await this.worker.terminate();
  }
}

export class WorkerCrypto implements TrackerCrypto {
  private readonly workers: PoolWorker[];
  private readonly queue: Queued[] = [];
  private readonly heavy: Queued[] = [];
  private readonly background: Queued[] = [];
  private nextId = 1;
  private dispatchScheduled = false;
  /** The last job taken while both queues waited was an expensive one. */
  private tookHeavy = false;
  private closed = false;
  /** Workers replaced after dying. */
  restarts = 0;

  constructor(privateKey: KeyObject, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error('a worker pool needs at least one worker');
    this.workers = Array.from(
      { length: size },
      () =>
        new PoolWorker(
          privateKey,
          () => this.dispatch(),
          () => this.restarts++,
        ),
    );
  }

  sign(message: string, background = false): Promise<string> {
    return this.submit([0, 0, message], SIGN_COST, background) as Promise<string>;
  }

  verify(message: string, sign: string, key: ParsedKey): Promise<boolean> {
    return this.submit([0, 1, message, sign, key.pem], verifyCost(key)) as Promise<boolean>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of [...this.queue, ...this.heavy, ...this.background])
      q.reject(new Error('the crypto pool is closed'));
    this.queue.length = 0;
    this.heavy.length = 0;
    this.background.length = 0;
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private submit(job: Job, cost: number, background = false): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('the crypto pool is closed'));
    job[0] = this.nextId++;
    return new Promise((resolve, reject) => {
      const q: Queued = { job, cost, queuedAt: performance.now(), resolve, reject };
      (background ? this.background : cost > HEAVY_COST ? this.heavy : this.queue).push(q);
      if (!this.dispatchScheduled) {
        this.dispatchScheduled = true;
        // After the current poll phase: every frame read in it travels in one message per worker.
        setImmediate(() => {
          this.dispatchScheduled = false;
          this.dispatch();
        });
      }
    });
  }

  /**
   * The next job: cheap ones first; an expensive check when nothing else waits, or, once it has
   * waited long, every other job (so that a steady stream of either never starves the other).
   */
  private take(now: number): Queued | undefined {
    const h = this.heavy[0];
    if (!h) return this.queue.shift();
    if (this.queue.length === 0 || (!this.tookHeavy && now - h.queuedAt > HEAVY_MAX_WAIT_MS)) {
      this.tookHeavy = true;
      return this.heavy.shift();
    }
    this.tookHeavy = false;
    return this.queue.shift();
  }

  /** Tops every worker up to its budget, least loaded first. */
  private dispatch(): void {
    if (this.closed) return;
    const now = performance.now();
    for (const w of [...this.workers].sort((a, b) => a.load - b.load)) {
      const batch: Queued[] = [];
      let load = w.load;
      while (load < WORKER_BUDGET) {
        const q = this.take(now);
        if (!q) break;
        batch.push(q);
        load += q.cost;
      }
      if (this.queue.length === 0 && this.heavy.length === 0) {
        while (load < BACKGROUND_BUDGET && this.background.length > 0) {
          const q = this.background.shift()!;
          batch.push(q);
          load += q.cost;
        }
      }
      if (batch.length > 0) w.post(batch);
      if (this.queue.length === 0 && this.heavy.length === 0 && this.background.length === 0) return;
    }
  }
}
