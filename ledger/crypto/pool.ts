/**
 * RSA signing and verification on a pool of worker threads (`--workers N`), so that every core
 * signs while the main thread parses frames and runs the database. Jobs submitted during one turn
 * of the event loop travel to a worker in one message; each job goes to the worker with the least
 * work queued. A worker that dies fails its jobs (the commands answer INTERNAL) and is replaced.
 */
import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import type { ParsedKey } from '../../shared/crypto/keys';
import { CRYPTO_WORKER_SOURCE } from './worker-source';
import type { TrackerCrypto } from './service';

type Job =
  [id: number, kind: 0, message: string] | [id: number, kind: 1, message: string, sign: string, pem: string];

interface Pending {
  resolve(v: string | boolean): void;
  reject(e: Error): void;
  cost: number;
}

/** Relative costs: an RSA-2048 signature takes about ten verifications. */
const SIGN_COST = 10;
const VERIFY_COST = 1;

class PoolWorker {
  readonly pending = new Map<number, Pending>();
  outbox: Job[] = [];
  load = 0;
  private worker: Worker;

  constructor(
    private readonly privateKey: KeyObject,
    private readonly onLost: (w: PoolWorker) => void,
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
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        this.load -= p.cost;
        if (typeof r === 'object') p.reject(new Error(`signing failed: ${r.error}`));
        else p.resolve(r);
      }
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => {
      if (this.closing) return;
      this.fail(new Error(`crypto worker exited (${code})`));
    });
    return worker;
  }

  private closing = false;

  private fail(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.outbox = [];
    this.load = 0;
    if (this.closing) return;
    void this.worker.terminate();
    this.worker = this.spawn();
    this.onLost(this);
  }

  flush(): void {
    if (this.outbox.length === 0) return;
    const jobs = this.outbox;
    this.outbox = [];
    this.worker.postMessage(jobs);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.pending.values()) p.reject(new Error('the crypto pool is closed'));
    this.pending.clear();
    await this.worker.terminate();
  }
}

export class WorkerCrypto implements TrackerCrypto {
  private readonly workers: PoolWorker[];
  private nextId = 1;
  private flushScheduled = false;
  private closed = false;
  /** Workers replaced after dying (for the logs and metrics). */
  restarts = 0;

  constructor(privateKey: KeyObject, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error('a worker pool needs at least one worker');
    this.workers = Array.from({ length: size }, () => new PoolWorker(privateKey, () => this.restarts++));
  }

  get size(): number {
    return this.workers.length;
  }

  sign(message: string): Promise<string> {
    return this.submit([0, 0, message], SIGN_COST) as Promise<string>;
  }

  verify(message: string, sign: string, key: ParsedKey): Promise<boolean> {
    // An RSA check costs ~ modulus²: an 8192-bit key is 16 of a 2048-bit one.
    const bits = key.key.asymmetricKeyDetails?.modulusLength ?? 2048;
    const cost = VERIFY_COST * Math.max(1, (bits / 2048) ** 2);
    return this.submit([0, 1, message, sign, key.pem], cost) as Promise<boolean>;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private submit(job: Job, cost: number): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('the crypto pool is closed'));
    const id = this.nextId++;
    job[0] = id;
    let target = this.workers[0]!;
    for (const w of this.workers) if (w.load < target.load) target = w;
    target.load += cost;
    target.outbox.push(job);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the current poll phase: every frame read in it travels in one message per worker.
      setImmediate(() => {
        this.flushScheduled = false;
        for (const w of this.workers) w.flush();
      });
    }
    return new Promise((resolve, reject) => target.pending.set(id, { resolve, reject, cost }));
  }
}
