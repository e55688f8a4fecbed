/** The tracker's Prometheus metrics (GET /metrics), kept by prom-client in a registry of its own. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isCmdCode } from '../shared/protocol/commands';
import type { StorageObserver } from './storage/port';

/** Seconds: from well under a millisecond (a read) to seconds (a tracker under attack). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

export type RefusalReason = 'max_connections' | 'origin' | 'not_ready';

export class TrackerMetrics implements StorageObserver {
  readonly registry = new Registry();
  private readonly commands: Counter<'cmd' | 'code'>;
  private readonly commandSeconds: Histogram<'cmd'>;
  readonly connections: Gauge;
  private readonly refused: Counter<'reason'>;
  private readonly limited: Counter;
  private readonly commitSeconds: Histogram;
  private readonly commitCommands: Histogram;
  /** Labelled series by `cmd|code`: prom-client would hash the labels on every command. */
  private readonly series = new Map<
    string,
    { count: Counter.Internal; seconds: Histogram.Internal<'cmd'> }
  >();
  /** Set once the ledger is open: live history cursors. */
  cursorCount: () => Promise<number> = () => Promise.resolve(0);
  /** Set once the ledger is open: committed history items waiting for their signature. */
  unsignedItems: () => number = () => 0;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tracker_' });
    this.commands = new Counter({
      name: 'tracker_commands_total',
      help: 'Commands answered, by command code and result code (OK or the error code).',
      labelNames: ['cmd', 'code'],
      registers,
    });
    this.commandSeconds = new Histogram({
      name: 'tracker_command_duration_seconds',
      help: 'Time from taking a frame up to its answer being ready, by command code.',
      labelNames: ['cmd'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.connections = new Gauge({
      name: 'tracker_connections_open',
      help: 'Open WebSocket connections.',
      registers,
    });
    this.refused = new Counter({
      name: 'tracker_connections_refused_total',
      help: 'WebSocket upgrades refused: max_connections (503), origin (403), not_ready (503).',
      labelNames: ['reason'],
      registers,
    });
    this.limited = new Counter({
      name: 'tracker_rate_limited_total',
      help: 'Requests answered RATE_LIMITED (over --max-requests-per-s on their connection).',
      registers,
    });
    const cursors = (): Promise<number> => this.cursorCount();
    new Gauge({
      name: 'tracker_cursors',
      help: 'Live history cursors.',
      registers,
      async collect() {
        this.set(await cursors());
      },
    });
    const unsigned = (): number => this.unsignedItems();
    new Gauge({
      name: 'tracker_items_unsigned',
      help: 'Committed history items this node has still to sign (signed after the commit, in the background).',
      registers,
      collect() {
        this.set(unsigned());
      },
    });
    this.commitSeconds = new Histogram({
      name: 'tracker_db_commit_duration_seconds',
      help: 'Duration of one database commit (one fsync) of a group of write commands.',
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.commitCommands = new Histogram({
      name: 'tracker_db_commit_commands',
      help: 'Write commands committed together in one transaction (group commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
  }

  command(cmd: number | undefined, code: string, seconds: number): void {
    // Only known codes become labels: a client must not be able to grow the series without bound.
    const label = isCmdCode(cmd) ? String(cmd) : cmd === undefined ? 'none' : 'unknown';
    const key = `${label}|${code}`;
    let s = this.series.get(key);
    if (!s) {
      s = { count: this.commands.labels(label, code), seconds: this.commandSeconds.labels(label) };
      this.series.set(key, s);
    }
    s.count.inc();
    s.seconds.observe(seconds);
  }

  refusedConnection(reason: RefusalReason): void {
    this.refused.inc({ reason });
  }

  rateLimited(): void {
    this.limited.inc();
  }

  committed(seconds: number, commands: number): void {
    this.commitSeconds.observe(seconds);
    this.commitCommands.observe(commands);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
