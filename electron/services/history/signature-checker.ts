/**
 * Verdicts on history item signatures (SPEC §4 History: the tracker's base64 RSA-SHA256 signature
 * over the canonical JSON of the item without `sign`), checked in batches on a worker thread so
 * that a sync goes on fetching and storing while the RSA work runs on another core.
 */
import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { parsePublicKey } from '../../../shared/crypto/keys';
import { verifyMessage } from '../../../shared/crypto/sign';
import { signedText, type SignatureVerdict } from './item-codec';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** What the pinned key can verify: the parsed key and its signature length in base64 characters. */
export interface ItemVerifier {
  key: KeyObject | null;
  signatureChars: number;
}

export function itemVerifier(trackerPem: string): ItemVerifier {
  try {
    const { key } = parsePublicKey(trackerPem);
    const bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    return { key, signatureChars: 4 * Math.ceil(bytes / 3) };
  } catch {
    return { key: null, signatureChars: 0 };
  }
}

/**
 * Whether `sign` can be a signature by the pinned key at all: base64 of the key's signature length.
 * Anything else (the original server's opaque bytes, no usable key) is 'unverifiable' at once.
 */
export function checkable(sign: unknown, verifier: ItemVerifier): sign is string {
  return (
    verifier.key !== null &&
    typeof sign === 'string' &&
    sign.length === verifier.signatureChars &&
    BASE64.test(sign)
  );
}

/** The verdict on one item's `sign`, checked here and now. */
export function itemSignatureVerdict(raw: Record<string, unknown>, verifier: ItemVerifier): SignatureVerdict {
  if (!checkable(raw.sign, verifier)) return 'unverifiable';
  return verifyMessage(signedText(raw), raw.sign, verifier.key!) ? 'valid' : 'invalid';
}

/**
 * The worker's code, kept as plain JavaScript text (like the tracker's crypto worker) so that the
 * same code runs from source, from the electron-vite bundle and in tests.
 * In: workerData = { key: KeyObject }; messages [id, texts[], signs[]].
 * Out: [id, Uint8Array of 1 (verifies) / 0 (does not)], the buffer transferred.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const key = workerData.key;
parentPort.on('message', ([id, texts, signs]) => {
  const ok = new Uint8Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    try {
      ok[i] = crypto.verify('sha256', Buffer.from(texts[i], 'utf8'), key, Buffer.from(signs[i], 'base64')) ? 1 : 0;
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

/**
 * Checks batches of signatures with one key on a worker thread; results come back in the order
 * asked. `close` ends the thread (batches still waiting are refused).
 */
export class SignatureChecker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(key: KeyObject) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { key } });
    this.worker.on('message', ([id, ok]: [number, Uint8Array]) => {
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      w?.resolve(ok);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`the signature worker stopped (${code})`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }

  /** For each (text, sign): does `sign` (base64) verify `text` with the key? */
  check(texts: string[], signs: string[]): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage([id, texts, signs]);
    });
  }

  async close(): Promise<void> {
    this.fail(new Error('the signature checker is closed'));
    await this.worker.terminate();
  }
}
