/**
 * Reading the tracker's truth about an identity's addresses: spend and income states (cmd 128/256),
 * when a closed one closed (from the synced history), and the common address (cmd 8192).
 */
import type { AddressView, CommonStateView } from '../../../shared/api/models';
import { checkAddress } from '../../../shared/crypto/address';
import { isTrackerError } from '../tracker/errors';
import type { AddressStateData } from './ports';
import type { Run, WalletContext } from './wallet-context';

/** An address as the tracker reported it; `prev` keeps what only this app knows (when it opened it). */
export function addressViewOf(
  identityId: string,
  kind: 'spend' | 'income',
  s: AddressStateData,
  prev: AddressView | undefined,
  now: number,
): AddressView {
  return {
    address: s.address,
    kind,
    identityId,
    status: now > s.timeLock ? 'expired' : 'open',
    amount: s.amount,
    limitAmount: s.limitAmount,
    quantumVolume: s.quantumVolume,
    limitQuantumVolume: s.limitQuantumVolume,
    volume: s.volume,
    openChannels: prev?.openChannels ?? 0,
    priceAmount: s.priceAmount,
    pricePower: s.pricePower,
    timeLock: s.timeLock,
    openedAt: prev?.openedAt ?? now,
    closedAt: null,
    readAt: now,
  };
}

export class AddressStates {
  constructor(private readonly ctx: WalletContext) {}

  /** Re-reads every address not known to be closed; one the tracker reports closed is marked so. */
  async refresh(run: Run): Promise<void> {
    for (const v of this.ctx.addressesIn(run.scope)) {
      if (v.status === 'closed') continue;
      let next: AddressView;
      try {
        const s = await run.conn.api.addressState(v.kind, run.signer, v.address);
        next = addressViewOf(run.identityId, v.kind, s, v, this.ctx.now());
      } catch (e) {
        // A transport failure ends the run; a refusal other than ADDRESS_CLOSED says nothing new.
        if (!isTrackerError(e) || !e.fromTracker) throw e;
        if (e.code !== 'ADDRESS_CLOSED') continue;
        // Closed by the tracker (expiry job) or elsewhere: when, the history tells (completeClosings).
        next = { ...v, status: 'closed', closedAt: v.closedAt, readAt: this.ctx.now() };
      }
      if (!run.current()) return;
      this.ctx.store.upsertAddresses(run.scope, [next]);
    }
  }

  /**
   * After a history sync: addresses the history shows this identity opening that the app does not
   * know (a wallet restored from a backup, or one opened by another app with the same key) are read
   * from the tracker and kept, so a restored wallet shows its addresses again.
   */
  async adoptFromHistory(run: Run): Promise<void> {
    const known = new Set(this.ctx.addressesIn(run.scope).map((v) => v.address));
    for (const address of this.ctx.facts.openedAddresses(run.scope)) {
      if (known.has(address)) continue;
      const check = checkAddress(address);
      if (!check.valid || (check.kind !== 'spend' && check.kind !== 'income')) continue;
      const kind = check.kind;
      let view: AddressView;
      try {
        const s = await run.conn.api.addressState(kind, run.signer, address);
        view = addressViewOf(run.identityId, kind, s, undefined, this.ctx.now());
      } catch (e) {
        if (!isTrackerError(e) || !e.fromTracker) throw e;
        if (e.code !== 'ADDRESS_CLOSED') continue;
        // What a closed address held is in the history; its row only needs to say it closed.
        view = {
          ...addressViewOf(
            run.identityId,
            kind,
            {
              address,
              amount: '0',
              limitAmount: '0',
              quantumVolume: '0',
              limitQuantumVolume: '0',
              volume: '0',
              priceAmount: '0',
              pricePower: 0,
              timeLock: 0,
            },
            undefined,
            this.ctx.now(),
          ),
          status: 'closed',
          closedAt: this.ctx.facts.addressClosedAt(run.scope, address),
        };
      }
      if (!run.current()) return;
      this.ctx.store.upsertAddresses(run.scope, [view]);
    }
  }

  /** After a history sync: a closed address the app did not close itself gets its close time from the history. */
  completeClosings(run: Run): void {
    for (const v of this.ctx.addressesIn(run.scope)) {
      if (v.status !== 'closed' || v.closedAt !== null) continue;
      const closedAt = this.ctx.facts.addressClosedAt(run.scope, v.address);
      if (closedAt !== null)
        this.ctx.store.upsertAddresses(run.scope, [{ ...v, closedAt, readAt: this.ctx.now() }]);
    }
  }

  async refreshCommon(run: Run): Promise<CommonStateView | null> {
    const info = this.ctx.identities.list().find((i) => i.id === run.identityId);
    if (!info) return null;
    const s = await run.conn.api.commonState(run.signer, info.commonAddress);
    if (!run.current()) return null;
    const view: CommonStateView = { ...s, readAt: this.ctx.now() };
    this.ctx.store.setCommonState(run.scope, view);
    return view;
  }
}
