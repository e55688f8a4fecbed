/**
 * The one path that brings an identity's picture up to date with the tracker, whatever asked for
 * it (coming online — also after a tracker switch or an accepted key —, each write, the refresh
 * timer, a Refresh button), always in the same order:
 *
 *   addresses (cmd 128/256) → history sync (1024/2048) → addresses only the history names (a
 *   restored wallet) → channels (512, with the facts of the
 *   synced TX_OPEN/TX_CLOSE) and closed addresses' close times → common address (8192)
 *
 * so a step only ever reads what the steps before it brought in. Triggers for one identity
 * coalesce: one run at a time, at most one queued, and every caller's promise settles after a run
 * that began after its call. A run whose connection or shown tracker changed underway stops
 * without writing (the new connection's own run follows).
 */
import type { AddressStates } from '../channels/address-states';
import type { ChannelStates } from '../channels/channel-states';
import type { Reconcile, ReconcileReason } from '../channels/ports';
import type { WalletContext } from '../channels/wallet-context';

export interface ReconcilerDeps {
  ctx: WalletContext;
  addresses: AddressStates;
  channels: ChannelStates;
  /** Brings the identity's history cache up to date (resolves when done, failed or not). */
  syncHistory(identityId: string): Promise<unknown>;
}

export class Reconciler implements Reconcile {
  private readonly running = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();

  constructor(private readonly d: ReconcilerDeps) {}

  /** Only `refresh` (the user asked) rejects; background triggers never do. */
  reconcile(identityId: string, reason: ReconcileReason): Promise<void> {
    const p = this.schedule(identityId);
    return reason === 'refresh' ? p : p.catch(() => undefined);
  }

  /** Every unlocked identity, one after the other (locked ones cannot sign a request). */
  async reconcileUnlocked(reason: ReconcileReason): Promise<void> {
    for (const i of this.d.ctx.identities.list()) {
      if (i.unlocked) await this.reconcile(i.id, reason).catch(() => undefined);
    }
  }

  /** Settles when every run begun or queued so far has ended. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values(), ...this.queued.values()]);
  }

  private schedule(identityId: string): Promise<void> {
    const queued = this.queued.get(identityId);
    if (queued) return queued;
    const running = this.running.get(identityId);
    if (!running) return this.start(identityId);
    const next = running
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(identityId);
        return this.start(identityId);
      });
    this.queued.set(identityId, next);
    return next;
  }

  private start(identityId: string): Promise<void> {
    const p = this.run(identityId).finally(() => {
      if (this.running.get(identityId) === p) this.running.delete(identityId);
    });
    this.running.set(identityId, p);
    return p;
  }

  private async run(identityId: string): Promise<void> {
    const { ctx, addresses, channels } = this.d;
    const run = ctx.begin(identityId);
    await addresses.refresh(run);
    if (!run.current()) return;
    ctx.emitAddresses(identityId);
    await this.d.syncHistory(identityId);
    if (!run.current()) return;
    await addresses.adoptFromHistory(run);
    if (!run.current()) return;
    addresses.completeClosings(run);
    await channels.refresh(run);
    if (!run.current()) return;
    const common = await addresses.refreshCommon(run);
    if (!run.current()) return;
    ctx.emitAddresses(identityId);
    ctx.emitChannels(identityId);
    if (common) ctx.emitCommon(identityId, common);
  }
}
