/**
 * Verdicts on history item signatures (SPEC §4 History: the tracker's base64 RSA-SHA256 signature
 * over the canonical JSON of the item without `sign`), checked in batches on a worker thread so
 * that a sync goes on fetching and storing while the RSA work runs on another core.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { parsePublicKey } from '../../../shared/crypto/keys';
import { verifyMessage } from '../../../shared/crypto/sign';
import { signedText, type SignatureVerdict } from './item-codec';

/** What the pinned key can verify: the parsed key and the byte length of its signatures. */
export interface ItemVerifier {
  key: KeyObject | null;
  signatureBytes: number;
}

export function itemVerifier(trackerPem: string): ItemVerifier {
  try {
    const { key } = parsePublicKey(trackerPem);
    return { key, signatureBytes: Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8) };
  } catch {
    return { key: null, signatureBytes: 0 };
  }
}

/**
 * Whether `sign` can be a signature by the pinned key at all: canonical base64 of the key's
 * signature length (given as the text, or as the bytes item-codec.ts kept of canonical base64).
 * Anything else (the original server's opaque strings, no usable key) is 'unverifiable' at once.
 */
export function checkable(sign: unknown, verifier: ItemVerifier): boolean {
  if (verifier.key === null) return false;
  if (Buffer.isBuffer(sign)) return sign.length === verifier.signatureBytes;
  if (typeof sign !== 'string') return false;
  const bytes = Buffer.from(sign, 'base64');
  return bytes.length === verifier.signatureBytes && bytes.toString('base64') === sign;
}

/** The verdict on one item's `sign`, checked here and now. */
export function itemSignatureVerdict(raw: Record<string, unknown>, verifier: ItemVerifier): SignatureVerdict {
  if (!checkable(raw.sign, verifier)) return 'unverifiable';
  return verifyMessage(signedText(raw), raw.sign as string, verifier.key!) ? 'valid' : 'invalid';
}

/**
 * The worker's code, kept as plain JavaScript text (like the tracker's crypto worker) so that the
 * same code runs from source, from the electron-vite bundle and in tests.
 * In: workerData = { key: KeyObject, size: signature bytes }; messages [id, texts, signs]: the
 * signed texts joined with LF (canonical JSON holds none) and the signatures' bytes end to end (a
 * transferred buffer), so that a page of a thousand items crosses as one string and one buffer.
 * Out: [id, Uint8Array of 1 (verifies) / 0 (does not)], the buffer transferred.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const { key, size } = workerData;
parentPort.on('message', ([id, joined, signs]) => {
  const texts = joined.split('\n');
  const bytes = Buffer.from(signs);
  const ok = new Uint8Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    try {
      const sign = bytes.subarray(i * size, (i + 1) * size);
      ok[i] = crypto.verify('sha256', Buffer.from(texts[i], 'utf8'), key, sign) ? 1 : 0;
    } catch {
      ok[i] = 0;
    }
  }
  parentPort.postMessage([id, ok], [ok.buffer]);
});
`;

interface Waiting {
  resolve: (ok: Uint8Array) => void;
  reject: (e: Error) => void;
}

/** One worker thread checking batches with one key; it keeps the process alive only while busy. */
class CheckerThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(key: KeyObject, size: number) {
    // Node builtins only: no loader hooks of the parent (tsx in development) to start.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { key, size }, execArgv: [] });
    this.worker.on('message', ([id, ok]: [number, Uint8Array]) => {
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      if (this.waiting.size === 0) this.worker.unref();
      w?.resolve(ok);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`the signature worker stopped (${code})`)));
    this.worker.unref();
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }

  check(texts: readonly string[], signs: readonly Buffer[]): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const bytes = Buffer.concat(signs);
    // A buffer of its own (concat of one may share Node's pool), so it can be transferred.
    const own = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage([id, texts.join('\n'), own], [own]);
    });
  }

  async close(): Promise<void> {
    this.fail(new Error('the signature checker is closed'));
    await this.worker.terminate();
  }
}

/** Signature checks may use every core: the main thread mostly waits for them while a sync runs. */
export function defaultCheckerThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * Checks batches of signatures with one key on worker threads: each batch is split across the
 * threads and its verdicts come back in the order asked. `close` ends the threads (batches still
 * waiting are refused).
 */
export class SignatureChecker {
  private readonly threads: CheckerThread[];

  constructor(
    readonly key: KeyObject,
    size: number,
    threads = defaultCheckerThreads(),
  ) {
    this.threads = Array.from({ length: Math.max(1, threads) }, () => new CheckerThread(key, size));
  }

  get size(): number {
    return this.threads.length;
  }

  /** A thread stopped: this checker refuses every batch (make another). */
  get broken(): boolean {
    return this.threads.some((t) => t.failed);
  }

  /** For each (text, signature bytes): does the signature verify the text with the key? */
  async check(texts: readonly string[], signs: readonly Buffer[]): Promise<Uint8Array> {
    const share = Math.ceil(texts.length / this.threads.length);
    const parts = await Promise.all(
      this.threads
        .map((t, k) => [t, k * share] as const)
        .filter(([, from]) => from < texts.length)
        .map(([t, from]) => t.check(texts.slice(from, from + share), signs.slice(from, from + share))),
    );
    const ok = new Uint8Array(texts.length);
    parts.reduce((at, part) => (ok.set(part, at), at + part.length), 0);
    return ok;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
