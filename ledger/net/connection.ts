/**
 * One client connection: its frames are answered one at a time and in order, and between two of
 * them the other connections get a turn. Bounded whatever the client does: at most a few frames
 * queued, output above --max-buffered-bytes stops reading from it until the client drains it, at
 * most --max-requests-per-s requests answered (the excess gets RATE_LIMITED and changes nothing),
 * and no command for --idle-timeout-s closes it.
 */
import { performance } from 'node:perf_hooks';
import WebSocket, { type RawData } from 'ws';
import { ProtocolError } from '../../shared/protocol/errors';
import { epochNs, handleFrame, refusalFrame, type FrameContext } from './frames';
import { TokenBucket } from './rate-limit';

/** Received frames waiting for their turn; reading stops beyond either bound. */
const MAX_QUEUED_FRAMES = 32;
const MAX_QUEUED_BYTES = 1024 * 1024;

export const CLOSE_IDLE = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_INTERNAL_ERROR = 1011;

interface Entry {
  text: string;
  binary: boolean;
  limited: boolean;
  receivedNs: number;
}

export interface ConnectionLimits {
  idleTimeoutMs: number;
  maxBufferedBytes: number;
  maxRequestsPerS: number;
}

export class TrackerConnection {
  private readonly queue: Entry[] = [];
  private queuedBytes = 0;
  private busy = false;
  private readingPaused = false;
  private stopping = false;
  private readonly bucket: TokenBucket;
  private readonly idle: NodeJS.Timeout;
  /** A pong (or any frame) arrived since the last ping. */
  private alive = true;
  readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly frame: FrameContext,
    private readonly limits: ConnectionLimits,
  ) {
    this.bucket = new TokenBucket(limits.maxRequestsPerS);
    this.idle = setTimeout(() => this.closeIdle(), limits.idleTimeoutMs);
    this.closed = new Promise((resolve) =>
      ws.once('close', () => {
        clearTimeout(this.idle);
        this.queue.length = 0;
        resolve();
      }),
    );
    ws.on('message', (data: RawData, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('pong', () => (this.alive = true));
  }

  /** No command for the idle timeout: a client that does not even read is cut off at once. */
  private closeIdle(): void {
    if (this.outputFull()) this.ws.terminate();
    else this.ws.close(CLOSE_IDLE, 'idle timeout');
  }

  /** Called every ping interval: a connection that did not answer the last ping is dropped. */
  heartbeat(): void {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /**
   * Graceful shutdown: frames not yet started are dropped (unanswered, nothing changed); the one
   * in flight is finished and answered; then the connection closes with 1001.
   */
  shutdown(): Promise<void> {
    this.stopping = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (!this.busy) this.ws.close(CLOSE_GOING_AWAY, 'tracker shutting down');
    return this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.stopping) return;
    this.alive = true;
    this.idle.refresh();
    const limited = !this.bucket.take(performance.now());
    if (limited) this.frame.metrics.rateLimited();
    const text = isBinary ? '' : textOf(data);
    this.queue.push({ text, binary: isBinary, limited, receivedNs: epochNs() });
    this.queuedBytes += text.length;
    this.updateReading();
    this.pump();
  }

  private outputFull(): boolean {
    return this.ws.bufferedAmount > this.limits.maxBufferedBytes;
  }

  /** Reads from the socket only while there is room for what it may bring. */
  private updateReading(): void {
    const pause =
      this.queue.length >= MAX_QUEUED_FRAMES || this.queuedBytes >= MAX_QUEUED_BYTES || this.outputFull();
    if (pause && !this.readingPaused) this.ws.pause();
    if (!pause && this.readingPaused) this.ws.resume();
    this.readingPaused = pause;
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0 || this.outputFull()) return;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const entry = this.queue.shift()!;
    this.queuedBytes -= entry.text.length;
    this.busy = true;
    void this.answer(entry).then(
      (answer) => {
        this.busy = false;
        if (this.ws.readyState === WebSocket.OPEN) {
          this.ws.send(answer, () => {
            // The client took some output: there may be room to go on again.
            this.updateReading();
            this.pump();
          });
        }
        if (this.stopping) {
          this.ws.close(CLOSE_GOING_AWAY, 'tracker shutting down');
          return;
        }
        this.updateReading();
        // The next frame of this connection waits for the other connections' turn.
        if (this.queue.length > 0) setImmediate(() => this.pump());
      },
      (e: unknown) => {
        // handleFrame answers every failure itself; reaching here is a bug: end this connection only.
        this.frame.log.error('connection_failed', { conn: this.frame.conn, error: String(e) });
        this.ws.close(CLOSE_INTERNAL_ERROR, 'internal error');
      },
    );
  }

  private answer(entry: Entry): Promise<string> {
    if (entry.binary) {
      const err = new ProtocolError('BAD_FRAME', 'binary frames are not accepted');
      return Promise.resolve(refusalFrame(this.frame, err, '', entry.receivedNs));
    }
    if (entry.limited) {
      const err = new ProtocolError(
        'RATE_LIMITED',
        `more than ${this.limits.maxRequestsPerS} requests per second on this connection; nothing was done`,
      );
      return Promise.resolve(refusalFrame(this.frame, err, entry.text, entry.receivedNs));
    }
    return handleFrame(this.frame, entry.text, entry.receivedNs);
  }
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
