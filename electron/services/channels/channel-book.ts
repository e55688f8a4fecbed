/**
 * Transfer channels the app takes part in: recording them for each local party, opening and closing
 * them with both signatures (local, or from a file), and the facts of a write as the tracker
 * answered it. Every write goes to the tracker first; the cache keeps the last known views.
 */
import type { ChannelDraft, ChannelView, ClosePreview } from '../../../shared/api/models';
import { fingerprintOf } from '../../../shared/crypto/keys';
import { signMessage } from '../../../shared/crypto/sign';
import { reservation } from '../../../shared/protocol/amounts';
import { ChannelState } from '../../../shared/protocol/commands';
import { AppError } from '../api/backend';
import { closeFigures, draftContract, previewClose } from './drafts';
import { openMessage, type Contract } from './messages';
import type { Reconcile } from './ports';
import type { DoubleSignedPayload } from './types';
import type { WalletContext } from './wallet-context';

type Settlement = NonNullable<ChannelView['settlement']>;

export class ChannelBook {
  constructor(
    private readonly ctx: WalletContext,
    private readonly reconciler: Reconcile,
  ) {}

  list(identityId: string): ChannelView[] {
    return this.ctx.channels(identityId);
  }

  private known(channelId: string): ChannelView {
    const ch = this.ctx.findChannel(channelId);
    if (!ch) throw new AppError('CHANNEL_NOT_FOUND', 'this channel is not known here');
    return ch;
  }

  /**
   * Stores the channel's view for each local party (once when both are the same identity) and
   * shows it. Returns the payer's view when the payer is local, else the payee's.
   */
  record(
    c: Contract,
    timeLock: number,
    state: ChannelView['state'],
    settlement: Settlement | null = null,
  ): ChannelView {
    const payer = this.ctx.identities.findByKey(c.fromPK);
    const payee = this.ctx.identities.findByKey(c.toPK);
    const now = this.ctx.now();
    let result: ChannelView | null = null;
    for (const [who, role] of [
      [payer, payer && payee && payer.id === payee.id ? 'both' : 'payer'],
      [payee, 'payee'],
    ] as const) {
      if (!who) continue;
      const scope = this.ctx.scopeOf(who.id);
      if (!scope) continue;
      const prev = this.ctx.store.listChannels(scope).find((x) => x.channelId === c.channelId);
      const view: ChannelView = {
        channelId: c.channelId,
        identityId: who.id,
        role,
        fromAddress: c.fromAddress,
        toAddress: c.toAddress,
        fromPK: c.fromPK,
        toPK: c.toPK,
        fromFingerprint: fingerprintOf(c.fromPK),
        toFingerprint: fingerprintOf(c.toPK),
        counterpartyIdentityId: role === 'both' ? who.id : ((role === 'payer' ? payee : payer)?.id ?? null),
        priceTokens: c.priceTokens,
        pricePower: c.priceQuantumPower,
        plannedQuantumCount: String(c.plannedQuantumCount),
        reservation: reservation(BigInt(c.priceTokens), BigInt(c.plannedQuantumCount)).toString(),
        state,
        timeLock,
        openedAt: prev?.openedAt ?? now,
        // Only a close this app submitted is recorded here: it saw it happen.
        closedAt: state === 'closed' ? (prev?.closedAt ?? now) : null,
        settlement: settlement ?? prev?.settlement ?? null,
        readAt: now,
      };
      this.ctx.store.upsertChannels(scope, [view]);
      result ??= view;
      this.ctx.emitChannels(who.id);
      if (role === 'both') break;
    }
    if (!result) throw new AppError('NOT_A_PARTY', 'no local identity is a party of this channel');
    return result;
  }

  /** Brings every local party up to date after a write. */
  private async afterWrite(c: Contract): Promise<void> {
    for (const pem of new Set([c.fromPK, c.toPK])) {
      const who = this.ctx.identities.findByKey(pem);
      if (who) await this.reconciler.reconcile(who.id, 'write');
    }
  }

  /**
   * Submits a channel's open (cmd 8) signed by both parties. The tracker answers an identical open of
   * an existing channel with success, even when that channel closed long ago: its state is read
   * first, and a closed channel is refused rather than shown open again.
   */
  async submitOpen(contract: Contract, payload: DoubleSignedPayload): Promise<ChannelView> {
    const parties = [contract.fromPK, contract.toPK].flatMap(
      (pem) => this.ctx.identities.findByKey(pem)?.id ?? [],
    );
    if (parties.length === 0)
      throw new AppError('NOT_A_PARTY', 'no local identity is a party of this channel');
    const run = this.ctx.beginRead(parties);
    if ((await run.conn.api.channelState(run.signer, contract.channelId)) === ChannelState.CLOSED) {
      await this.afterWrite(contract);
      throw new AppError(
        'CHANNEL_CLOSED',
        `channel ${contract.channelId} was already closed: it cannot open again`,
      );
    }
    const { timeLock } = await run.conn.api.openTransfer(payload);
    const view = this.record(contract, timeLock, 'open');
    await this.afterWrite(contract);
    return view;
  }

  /** Submits a channel's close (cmd 16) signed by both parties. */
  async submitClose(
    contract: Contract,
    settlement: Settlement,
    payload: DoubleSignedPayload,
  ): Promise<ChannelView> {
    await this.ctx.online().api.closeTransfer(payload);
    const known = this.ctx.findChannel(contract.channelId);
    const view = this.record(contract, known?.timeLock ?? this.ctx.now(), 'closed', settlement);
    await this.afterWrite(contract);
    return view;
  }

  /** Both parties are local identities: sign both sides and submit. */
  async openLocal(payerId: string, payeeId: string, draft: ChannelDraft): Promise<ChannelView> {
    const payer = this.ctx.identities.signer(payerId);
    const payee = this.ctx.identities.signer(payeeId);
    this.ctx.online();
    const contract = draftContract(draft, payer.publicPem, payee.publicPem);
    const message = openMessage(contract);
    return this.submitOpen(contract, {
      message,
      fromPK: payer.publicPem,
      fromSign: signMessage(message, payer.privateKey),
      toPK: payee.publicPem,
      toSign: signMessage(message, payee.privateKey),
    });
  }

  previewClose(channelId: string, volume: string): ClosePreview {
    return previewClose(this.known(channelId), volume);
  }

  async closeLocal(channelId: string, volume: string): Promise<ChannelView> {
    const ch = this.known(channelId);
    const payer = this.ctx.identities.findByKey(ch.fromPK);
    const payee = this.ctx.identities.findByKey(ch.toPK);
    if (!payer || !payee) {
      throw new AppError('NOT_LOCAL', 'only one side of this channel is local: close it with a receipt file');
    }
    this.ctx.online();
    const { contract, settlement, message } = closeFigures(ch, volume);
    const from = this.ctx.identities.signer(payer.id);
    const to = this.ctx.identities.signer(payee.id);
    return this.submitClose(
      contract,
      {
        quantumCount: settlement.quantumCount.toString(),
        tokens: settlement.tokens.toString(),
        volume: settlement.volume.toString(),
      },
      {
        message,
        fromPK: contract.fromPK,
        fromSign: signMessage(message, from.privateKey),
        toPK: contract.toPK,
        toSign: signMessage(message, to.privateKey),
      },
    );
  }
}
