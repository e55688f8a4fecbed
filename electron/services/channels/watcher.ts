/**
 * The wallet's clock: warnings before a timeLock and the moment it passes (events), auto-renew of
 * an address near expiry, and the periodic refresh through the reconciler.
 */
import type { AddressView } from '../../../shared/api/models';
import type { ApiEvents } from '../api/backend';
import type { AppSettings } from '../settings/store';
import type { AddressBook } from './address-book';
import type { ReconcileReason } from './ports';
import type { WalletContext } from './wallet-context';

/** How often the app reconciles every unlocked identity with the tracker by itself (README). */
export const DEFAULT_REFRESH_INTERVAL_MS = 15_000;
const TICK_MS = 1000;

export interface WatcherDeps {
  ctx: WalletContext;
  events: ApiEvents;
  settings: AppSettings;
  addresses: AddressBook;
  reconcileUnlocked(reason: ReconcileReason): Promise<void>;
  refreshIntervalMs?: number;
}

type Watched = 'spend' | 'income' | 'channel';

export class Watcher {
  private readonly warned = new Set<string>();
  private readonly expiredSeen = new Set<string>();
  private readonly renewing = new Set<string>();
  private readonly refreshIntervalMs: number;
  private ticker: NodeJS.Timeout | null = null;
  private lastRefresh = 0;

  constructor(private readonly d: WatcherDeps) {
    this.refreshIntervalMs = d.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  }

  start(): void {
    // Coming online reconciles at once; the timer takes over one period later.
    this.lastRefresh = this.d.ctx.now();
    this.ticker ??= setInterval(() => void this.tick().catch(() => undefined), TICK_MS);
    this.ticker.unref?.();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  /** One pass: warnings and expiries, auto-renew, and the refresh when its period has passed. */
  async tick(): Promise<void> {
    const { ctx } = this.d;
    const lead = this.d.settings.get().expiryWarningLeadMs;
    const now = ctx.now();
    const online = ctx.connection() !== null;
    for (const identity of ctx.identities.list()) {
      for (const a of ctx.addresses(identity.id)) {
        if (a.status === 'closed') continue;
        const aLead = leadFor(lead, a.openedAt, a.timeLock);
        this.watch(identity.id, a.kind, a.address, a.timeLock, aLead, now);
        if (
          online &&
          identity.autoRenew &&
          identity.unlocked &&
          a.status === 'open' &&
          a.timeLock - now <= aLead
        ) {
          await this.renew(identity.id, a).catch((e: Error) =>
            this.d.events.emit('autoRenew.failed', {
              identityId: identity.id,
              kind: a.kind,
              address: a.address,
              error: e.message,
            }),
          );
        }
      }
      for (const c of ctx.channels(identity.id)) {
        if (c.state === 'open' || c.state === 'expired')
          this.watch(
            identity.id,
            'channel',
            c.channelId,
            c.timeLock,
            leadFor(lead, c.openedAt, c.timeLock),
            now,
          );
      }
    }
    if (online && now - this.lastRefresh >= this.refreshIntervalMs) {
      this.lastRefresh = now;
      await this.d.reconcileUnlocked('timer');
    }
  }

  private watch(
    identityId: string,
    kind: Watched,
    target: string,
    timeLock: number,
    lead: number,
    now: number,
  ): void {
    const key = `${identityId}:${target}`;
    if (now > timeLock) {
      if (!this.expiredSeen.has(key)) {
        this.expiredSeen.add(key);
        this.d.events.emit('expiry.expired', { identityId, kind, target });
      }
    } else if (timeLock - now <= lead && !this.warned.has(key)) {
      this.warned.add(key);
      this.d.events.emit('expiry.warning', { identityId, kind, target, timeLock });
    }
  }

  /** Auto-renew: an address near expiry with no open channel and nothing reserved is closed and a new one opened. */
  private async renew(identityId: string, a: AddressView): Promise<void> {
    if (this.renewing.has(a.address)) return;
    const busy = this.d.ctx
      .channels(identityId)
      .some((c) => c.state === 'open' && (c.fromAddress === a.address || c.toAddress === a.address));
    if (busy || a.limitAmount !== a.amount || a.limitQuantumVolume !== a.quantumVolume) return;
    this.renewing.add(a.address);
    try {
      await this.d.addresses.close(identityId, a.address);
      const fresh = await this.d.addresses.open(identityId, a.kind);
      this.d.events.emit('autoRenew.renewed', {
        identityId,
        kind: a.kind,
        closed: a.address,
        opened: fresh.address,
      });
    } finally {
      this.renewing.delete(a.address);
    }
  }
}

/**
 * The warning lead for one address or channel: the user's setting, but never more than half its
 * lifetime (a 5-minute channel would otherwise warn the moment it opens).
 */
function leadFor(lead: number, openedAt: number | null, timeLock: number): number {
  return openedAt === null ? lead : Math.min(lead, Math.max(0, (timeLock - openedAt) / 2));
}
