/**
 * Locks every identity after a stretch without user intent (the `autoLockMinutes` setting, default
 * 15; 0 = never): the decrypted keys are dropped from memory (Identities.lockAll), and signing
 * needs the passphrase again. Intent is a request through the API other than the reads the
 * renderer makes on its own (PASSIVE_REQUESTS: loading screens, reacting to events), plus the
 * renderer's `app.activity`, sent on real keyboard and pointer input. The Electron shell also
 * locks on system suspend and screen lock (powerMonitor, electron/main).
 */
import { PASSIVE_REQUESTS, type RequestName } from '../../../shared/api/contract';

export interface AutoLockOptions {
  /** True while some decrypted key is held in memory. */
  identities: { readonly anyUnlocked: boolean };
  /** Drops every decrypted key (and whatever holds one: the tracker session). */
  lockAll(): Promise<unknown>;
  /** The idle time allowed, in minutes (0 = never lock). Read at every check. */
  minutes(): number;
  now?: () => number;
  /** How often the idle time is checked; default 5 s. */
  checkEveryMs?: number;
}

export class AutoLock {
  private lastIntentAt: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;

  constructor(private readonly o: AutoLockOptions) {
    this.now = o.now ?? Date.now;
    this.lastIntentAt = this.now();
  }

  /** A request came in through the API: unless it is a passive read, the user is here. */
  noteRequest(name: RequestName): void {
    if (!PASSIVE_REQUESTS.has(name)) this.lastIntentAt = this.now();
  }

  /** One check (the timer's, also called by tests): locks when idle too long; true if it did. */
  check(): boolean {
    const minutes = this.o.minutes();
    if (minutes <= 0 || !this.o.identities.anyUnlocked) return false;
    if (this.now() - this.lastIntentAt < minutes * 60_000) return false;
    void this.o.lockAll().catch(() => undefined);
    return true;
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.o.checkEveryMs ?? 5_000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
