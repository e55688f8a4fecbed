/**
 * The channel lifecycle of the wallet owner: spend and income addresses, transfer channels (both
 * signatures local, or through offer/receipt files), their states, expiry warnings and auto-renew.
 * Every write goes to the tracker first; the cache keeps the last known states for offline use.
 */
import type {
  AddressView,
  ChannelView,
  ChannelDraft,
  ChannelPreview,
  ClosePreview,
  CommonStateView,
  FileReview,
  TextFile,
} from '../../../shared/api/models';
import { checkAddress } from '../../../shared/crypto/address';
import { fingerprintOf, parsePublicKey } from '../../../shared/crypto/keys';
import { signMessage } from '../../../shared/crypto/sign';
import { comparePrices, plannedBytes, reservation, UINT64_MAX } from '../../../shared/protocol/amounts';
import { contractMessage, closeMessage as closeSchema } from '../../../shared/protocol/schemas';
import { AppError, type ApiEvents } from '../api/backend';
import type { Identities } from '../identities/service';
import type { AppSettings } from '../settings/store';
import { closeMessage, newChannelId, openMessage, settlementFor, type Contract } from './messages';
import {
  countersignTransferFile,
  createTransferFile,
  fileNameFor,
  parseTransferFile,
  reviewTransferFile,
  serializeTransferFile,
  type ReviewContext,
} from './offer-file';
import type { AddressStateData, StateStore, TrackerApi } from './ports';
import type { Signer } from './types';

export interface Connection {
  api: TrackerApi;
  trackerFingerprint: string;
}

export interface WalletDeps {
  identities: Identities;
  store: StateStore;
  events: ApiEvents;
  settings: AppSettings;
  /** The live tracker connection, or null when offline. */
  connection(): Connection | null;
  /** Cache scope of an identity on the current (or last) tracker; null when no tracker is known. */
  scopeOf(identityId: string): string | null;
  /** Brings the identity's history cache up to date (after writes, and on the refresh timer). */
  syncHistory?: (identityId: string) => Promise<void>;
  now?: () => number;
}

/** How long an offer or receipt stays valid when nothing shorter (a timeLock) bounds it. */
const FILE_LIFETIME_MS = 60 * 60_000;
const REFRESH_INTERVAL_MS = 30_000;

export class Wallet {
  private readonly now: () => number;
  private readonly warned = new Set<string>();
  private readonly expiredSeen = new Set<string>();
  private readonly renewing = new Set<string>();
  private ticker: NodeJS.Timeout | null = null;
  private lastRefresh = 0;

  constructor(private readonly d: WalletDeps) {
    this.now = d.now ?? Date.now;
  }

  // ---------- plumbing ----------

  private online(): Connection {
    const c = this.d.connection();
    if (!c) throw new AppError('OFFLINE', 'not connected to a tracker: connect first');
    return c;
  }

  private scope(identityId: string): string {
    const s = this.d.scopeOf(identityId);
    if (!s) throw new AppError('NO_TRACKER', 'connect to a tracker first');
    return s;
  }

  private view(
    identityId: string,
    kind: 'spend' | 'income',
    s: AddressStateData,
    prev?: AddressView,
  ): AddressView {
    return {
      address: s.address,
      kind,
      identityId,
      status: this.now() > s.timeLock ? 'expired' : 'open',
      amount: s.amount,
      limitAmount: s.limitAmount,
      quantumVolume: s.quantumVolume,
      limitQuantumVolume: s.limitQuantumVolume,
      volume: s.volume,
      openChannels: prev?.openChannels ?? 0,
      priceAmount: s.priceAmount,
      pricePower: s.pricePower,
      timeLock: s.timeLock,
      openedAt: prev?.openedAt ?? this.now(),
      closedAt: null,
      readAt: this.now(),
    };
  }

  private withStatus(v: AddressView): AddressView {
    return v.status === 'open' && this.now() > v.timeLock ? { ...v, status: 'expired' } : v;
  }

  private emitAddresses(identityId: string): AddressView[] {
    const list = this.listAddresses(identityId);
    this.d.events.emit('addresses.changed', { identityId, addresses: list });
    return list;
  }

  private emitChannels(identityId: string): ChannelView[] {
    const list = this.listChannels(identityId);
    this.d.events.emit('channels.changed', { identityId, channels: list });
    return list;
  }

  private notify(
    level: 'info' | 'warning' | 'error',
    key: string,
    text: string,
    params: Record<string, string | number> = {},
  ): void {
    this.d.events.emit('notification', { level, key, params, text, at: this.now() });
  }

  // ---------- addresses ----------

  listAddresses(identityId: string): AddressView[] {
    const scope = this.d.scopeOf(identityId);
    if (!scope) return [];
    const open = this.d.store.listChannels(scope).filter((c) => c.state === 'open');
    return this.d.store
      .listAddresses(scope)
      .map((v) => ({
        ...this.withStatus(v),
        openChannels: open.filter((c) => c.fromAddress === v.address || c.toAddress === v.address).length,
      }))
      .sort((a, b) => (b.openedAt ?? 0) - (a.openedAt ?? 0));
  }

  private known(identityId: string, address: string): AddressView | undefined {
    return this.listAddresses(identityId).find((a) => a.address === address);
  }

  async openAddress(identityId: string, kind: 'spend' | 'income'): Promise<AddressView> {
    const signer = this.d.identities.signer(identityId);
    const { api } = this.online();
    const scope = this.scope(identityId);
    const state = await api.openAddress(kind, signer);
    const view = this.view(identityId, kind, state);
    this.d.store.upsertAddress(scope, view);
    this.emitAddresses(identityId);
    return view;
  }

  async closeAddress(identityId: string, address: string): Promise<AddressView> {
    const signer = this.d.identities.signer(identityId);
    const { api } = this.online();
    const scope = this.scope(identityId);
    const check = checkAddress(address);
    if (!check.valid || (check.kind !== 'spend' && check.kind !== 'income')) {
      throw new AppError('BAD_ADDRESS', 'not a spend or income address');
    }
    const kind = check.kind;
    const prev = this.known(identityId, address);
    const before = await api.closeAddress(kind, signer, address);
    const closed: AddressView = {
      ...(prev ??
        this.view(identityId, kind, {
          address,
          amount: '0',
          quantumVolume: '0',
          volume: '0',
          limitAmount: '0',
          limitQuantumVolume: '0',
          priceAmount: '0',
          pricePower: 0,
          timeLock: 0,
        })),
      ...(before
        ? { amount: before.amount, quantumVolume: before.quantumVolume, volume: before.volume }
        : {}),
      status: 'closed',
      closedAt: this.now(),
      readAt: this.now(),
    };
    this.d.store.upsertAddress(scope, closed);
    this.emitAddresses(identityId);
    void this.refreshCommon(identityId).catch(() => undefined);
    return closed;
  }

  /** Re-reads every address not known to be closed; an address the tracker reports closed is marked so. */
  async refreshAddresses(identityId: string): Promise<AddressView[]> {
    const signer = this.d.identities.signer(identityId);
    const { api } = this.online();
    const scope = this.scope(identityId);
    for (const v of this.listAddresses(identityId)) {
      if (v.status === 'closed') continue;
      try {
        const s = await api.addressState(v.kind, signer, v.address);
        this.d.store.upsertAddress(scope, this.view(identityId, v.kind, s, v));
      } catch (e) {
        if ((e as { code?: string }).code === 'ADDRESS_CLOSED') {
          this.d.store.upsertAddress(scope, {
            ...v,
            status: 'closed',
            closedAt: v.closedAt ?? this.now(),
            readAt: this.now(),
          });
        } else throw e;
      }
    }
    return this.emitAddresses(identityId);
  }

  async refreshCommon(identityId: string): Promise<CommonStateView | null> {
    const scope = this.d.scopeOf(identityId);
    const c = this.d.connection();
    if (!c || !scope) return scope ? this.d.store.getCommon(scope) : null;
    const signer = this.d.identities.signer(identityId);
    const info = this.d.identities.list().find((i) => i.id === identityId)!;
    const s = await c.api.commonState(signer, info.commonAddress);
    const view: CommonStateView = { ...s, readAt: this.now() };
    this.d.store.setCommon(scope, view);
    this.d.events.emit('common.changed', { identityId, state: view });
    return view;
  }

  cachedCommon(identityId: string): CommonStateView | null {
    const scope = this.d.scopeOf(identityId);
    return scope ? this.d.store.getCommon(scope) : null;
  }

  // ---------- channels ----------

  listChannels(identityId: string): ChannelView[] {
    const scope = this.d.scopeOf(identityId);
    if (!scope) return [];
    return this.d.store
      .listChannels(scope)
      .map((c) => (c.state === 'open' && this.now() > c.timeLock ? { ...c, state: 'expired' as const } : c))
      .sort((a, b) => b.openedAt - a.openedAt);
  }

  private findChannel(channelId: string): ChannelView | undefined {
    for (const i of this.d.identities.list()) {
      const c = this.listChannels(i.id).find((x) => x.channelId === channelId);
      if (c) return c;
    }
    return undefined;
  }

  private contractOf(c: ChannelView): Contract {
    return {
      fromPK: c.fromPK,
      toPK: c.toPK,
      channelId: c.channelId,
      fromAddress: c.fromAddress,
      toAddress: c.toAddress,
      priceTokens: c.priceTokens,
      priceQuantumPower: c.pricePower,
      plannedQuantumCount: Number(c.plannedQuantumCount),
    };
  }

  private draftContract(draft: ChannelDraft, fromPK: string, toPK: string): Contract {
    const planned = BigInt(draft.plannedQuantumCount);
    if (planned < 1n || planned > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new AppError('INVALID_ARGUMENT', 'planned quanta must be at least 1');
    }
    if (BigInt(draft.priceTokens) > UINT64_MAX) throw new AppError('INVALID_ARGUMENT', 'price is too large');
    const contract: Contract = {
      fromPK,
      toPK,
      channelId: draft.channelId?.trim() || newChannelId(),
      fromAddress: draft.fromAddress.trim(),
      toAddress: draft.toAddress.trim(),
      priceTokens: draft.priceTokens,
      priceQuantumPower: draft.pricePower,
      plannedQuantumCount: Number(planned),
    };
    contractMessage.parse(JSON.parse(openMessage(contract)));
    return contract;
  }

  /** Reservation and planned bytes of a draft, with every problem the tracker would refuse it for. */
  async preview(identityId: string, draft: ChannelDraft): Promise<ChannelPreview> {
    const problems: string[] = [];
    const price = BigInt(draft.priceTokens);
    const planned = BigInt(draft.plannedQuantumCount);
    const reserve = reservation(price, planned);
    const bytes = plannedBytes(planned, draft.pricePower);
    if (planned < 1n) problems.push('plan at least one quantum');
    const spend = this.known(identityId, draft.fromAddress.trim());
    if (!checkAddress(draft.fromAddress.trim(), 'spend').valid)
      problems.push('choose one of your spend addresses');
    else if (!spend || spend.kind !== 'spend')
      problems.push('the spend address is not one of this identity’s');
    else if (spend.status !== 'open') problems.push(`the spend address is ${spend.status}`);
    else {
      if (reserve > BigInt(spend.limitAmount)) {
        problems.push(
          `the reservation ${reserve} atoms exceeds the spend address limit ${spend.limitAmount} atoms`,
        );
      }
      const max = { amount: BigInt(spend.priceAmount), quantumPower: spend.pricePower };
      if (comparePrices({ amount: price, quantumPower: draft.pricePower }, max) > 0) {
        problems.push(
          `the price is above the spend address maximum of ${spend.priceAmount} atoms per 2^${spend.pricePower} bytes`,
        );
      }
    }
    const to = checkAddress(draft.toAddress.trim());
    if (!to.valid || to.kind === 'spend')
      problems.push('the payee address must be an income or common address');
    else if (to.kind === 'income') {
      const min = await this.incomeMinimum(draft.toAddress.trim(), identityId).catch(() => null);
      if (min === null) problems.push('the income address could not be checked: is it open on this tracker?');
      else if (comparePrices({ amount: price, quantumPower: draft.pricePower }, min) < 0) {
        problems.push(
          `the price is below the income address minimum of ${min.amount} atoms per 2^${min.quantumPower} bytes`,
        );
      }
    }
    return { reservation: reserve.toString(), plannedBytes: bytes.toString(), problems };
  }

  private async incomeMinimum(address: string, readerId: string) {
    for (const i of this.d.identities.list()) {
      const v = this.known(i.id, address);
      if (v && v.kind === 'income') {
        if (v.status !== 'open') return null;
        return { amount: BigInt(v.priceAmount), quantumPower: v.pricePower };
      }
    }
    const c = this.d.connection();
    if (!c) return null;
    const s = await c.api.addressState('income', this.d.identities.signer(readerId), address);
    return { amount: BigInt(s.priceAmount), quantumPower: s.pricePower };
  }

  private recordChannel(
    c: Contract,
    timeLock: number,
    state: ChannelView['state'],
    settlement: ChannelView['settlement'] = null,
  ): ChannelView {
    const payer = this.d.identities.findByKey(c.fromPK);
    const payee = this.d.identities.findByKey(c.toPK);
    let result: ChannelView | null = null;
    for (const [who, role] of [
      [payer, payer && payee && payer.id === payee.id ? 'both' : 'payer'],
      [payee, 'payee'],
    ] as const) {
      if (!who) continue;
      const scope = this.d.scopeOf(who.id);
      if (!scope) continue;
      const prev = this.d.store.listChannels(scope).find((x) => x.channelId === c.channelId);
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
        openedAt: prev?.openedAt ?? this.now(),
        closedAt: state === 'closed' ? (prev?.closedAt ?? this.now()) : null,
        settlement: settlement ?? prev?.settlement ?? null,
        readAt: this.now(),
      };
      this.d.store.upsertChannel(scope, view);
      result ??= view;
      this.emitChannels(who.id);
      if (role === 'both') break;
    }
    if (!result) throw new AppError('NOT_A_PARTY', 'no local identity is a party of this channel');
    return result;
  }

  private async afterWrite(c: Contract): Promise<void> {
    for (const pem of new Set([c.fromPK, c.toPK])) {
      const who = this.d.identities.findByKey(pem);
      if (who) {
        await this.refreshAddresses(who.id).catch(() => undefined);
        await this.refreshCommon(who.id).catch(() => undefined);
        await this.d.syncHistory?.(who.id).catch(() => undefined);
      }
    }
  }

  async openLocal(payerId: string, payeeId: string, draft: ChannelDraft): Promise<ChannelView> {
    const payer = this.d.identities.signer(payerId);
    const payee = this.d.identities.signer(payeeId);
    const { api } = this.online();
    const contract = this.draftContract(draft, payer.publicPem, payee.publicPem);
    const message = openMessage(contract);
    const { timeLock } = await api.openTransfer({
      message,
      fromPK: payer.publicPem,
      fromSign: signMessage(message, payer.privateKey),
      toPK: payee.publicPem,
      toSign: signMessage(message, payee.privateKey),
    });
    const view = this.recordChannel(contract, timeLock, 'open');
    await this.afterWrite(contract);
    return view;
  }

  previewClose(channelId: string, volume: string): ClosePreview {
    const ch = this.findChannel(channelId);
    if (!ch) throw new AppError('CHANNEL_NOT_FOUND', 'this channel is not known here');
    const s = settlementFor(this.contractOf(ch), BigInt(volume));
    const problems: string[] = [];
    if (s.quantumCount > BigInt(ch.plannedQuantumCount)) {
      problems.push(`${s.quantumCount} quanta exceed the ${ch.plannedQuantumCount} planned`);
    }
    if (ch.state !== 'open') problems.push(`the channel is ${ch.state}`);
    return {
      quantumCount: s.quantumCount.toString(),
      tokens: s.tokens.toString(),
      volume: s.volume.toString(),
      problems,
    };
  }

  private closeFigures(ch: ChannelView, volume: string) {
    const preview = this.previewClose(ch.channelId, volume);
    if (preview.problems.length) throw new AppError('BAD_SETTLEMENT', preview.problems.join('; '));
    const contract = this.contractOf(ch);
    const settlement = settlementFor(contract, BigInt(volume));
    return { contract, settlement, message: closeMessage(contract, settlement) };
  }

  async closeLocal(channelId: string, volume: string): Promise<ChannelView> {
    const ch = this.findChannel(channelId);
    if (!ch) throw new AppError('CHANNEL_NOT_FOUND', 'this channel is not known here');
    const payer = this.d.identities.findByKey(ch.fromPK);
    const payee = this.d.identities.findByKey(ch.toPK);
    if (!payer || !payee) {
      throw new AppError('NOT_LOCAL', 'only one side of this channel is local: close it with a receipt file');
    }
    const { api } = this.online();
    const { contract, settlement, message } = this.closeFigures(ch, volume);
    const from = this.d.identities.signer(payer.id);
    const to = this.d.identities.signer(payee.id);
    await api.closeTransfer({
      message,
      fromPK: contract.fromPK,
      fromSign: signMessage(message, from.privateKey),
      toPK: contract.toPK,
      toSign: signMessage(message, to.privateKey),
    });
    const view = this.recordChannel(contract, ch.timeLock, 'closed', {
      quantumCount: settlement.quantumCount.toString(),
      tokens: settlement.tokens.toString(),
      volume: settlement.volume.toString(),
    });
    await this.afterWrite(contract);
    return view;
  }

  /**
   * Re-reads every channel not known to be closed (cmd 512) and completes what the state alone
   * cannot tell from the synced history: the timeLock of a channel the counterparty opened, the
   * settlement of one it closed, and whether the tracker settled it at zero on expiry.
   */
  async refreshChannels(identityId: string): Promise<ChannelView[]> {
    const signer = this.d.identities.signer(identityId);
    const { api } = this.online();
    const scope = this.scope(identityId);
    for (const ch of this.listChannels(identityId)) {
      if (ch.state === 'closed') continue;
      const state = await api.channelState(signer, ch.channelId);
      const tx = this.d.store.channelTransactions(scope, ch.channelId);
      const timeLock = tx.open?.timelock ?? ch.timeLock;
      let next: ChannelView;
      if (state === 2) {
        next = { ...ch, state: this.now() > timeLock ? 'expired' : 'open', timeLock };
      } else if (state === 4) {
        const expired = tx.close ? tx.close.timestamp > timeLock : this.now() > timeLock;
        next = {
          ...ch,
          state: expired ? 'expired' : 'closed',
          timeLock,
          closedAt: ch.closedAt ?? tx.close?.timestamp ?? this.now(),
          settlement:
            ch.settlement ??
            (tx.close
              ? { quantumCount: tx.close.quantumCount, tokens: tx.close.tokens, volume: tx.close.volume }
              : null),
        };
      } else {
        next = { ...ch, state: 'unknown' };
      }
      if (JSON.stringify({ ...next, readAt: 0 }) !== JSON.stringify({ ...ch, readAt: 0 })) {
        this.d.store.upsertChannel(scope, { ...next, readAt: this.now() });
      }
    }
    return this.emitChannels(identityId);
  }

  /** A channel this app signed but the tracker has not seen yet (an offer in flight). */
  private recordPending(content: string): void {
    const f = parseTransferFile(content);
    if (f.kind !== 'open') return;
    const contract = contractMessage.parse(JSON.parse(f.message)) as Contract;
    if (this.findChannel(contract.channelId)) return;
    this.recordChannel(contract, f.expiresAt, 'unknown');
  }

  // ---------- offer and receipt files ----------

  private reviewContext(): ReviewContext {
    const c = this.d.connection();
    return {
      now: this.now(),
      trackerFingerprint: c?.trackerFingerprint ?? null,
      localIdentity: (pem) => this.d.identities.findByKey(pem)?.id ?? null,
    };
  }

  private fileFor(
    kind: 'open' | 'close',
    message: string,
    contract: Contract,
    own: Signer,
    expiresAt: number,
  ): TextFile {
    const f = createTransferFile({
      kind,
      trackerFingerprint: this.online().trackerFingerprint,
      message,
      fromPK: contract.fromPK,
      toPK: contract.toPK,
      author: own,
      createdAt: this.now(),
      expiresAt,
    });
    return { fileName: fileNameFor(f, contract.channelId), content: serializeTransferFile(f) };
  }

  createOffer(
    identityId: string,
    counterpartyPK: string,
    draft: ChannelDraft,
    role: 'payer' | 'payee',
  ): TextFile {
    const own = this.d.identities.signer(identityId);
    try {
      parsePublicKey(counterpartyPK);
    } catch {
      throw new AppError('BAD_KEY', 'the counterparty key is not an RSA public key PEM');
    }
    const contract =
      role === 'payer'
        ? this.draftContract(draft, own.publicPem, counterpartyPK)
        : this.draftContract(draft, counterpartyPK, own.publicPem);
    if (role === 'payer') {
      const spend = this.known(identityId, contract.fromAddress);
      if (!spend || spend.status !== 'open')
        throw new AppError('ADDRESS_NOT_FOUND', 'choose an open spend address of this identity');
    }
    const bound = role === 'payer' ? this.known(identityId, contract.fromAddress)?.timeLock : undefined;
    const expiresAt = Math.min(this.now() + FILE_LIFETIME_MS, bound ?? Infinity);
    const file = this.fileFor('open', openMessage(contract), contract, own, expiresAt);
    this.recordPending(file.content);
    return file;
  }

  createReceipt(identityId: string, channelId: string, volume: string): TextFile {
    const own = this.d.identities.signer(identityId);
    const ch = this.listChannels(identityId).find((c) => c.channelId === channelId);
    if (!ch) throw new AppError('CHANNEL_NOT_FOUND', 'this identity has no such channel');
    const { contract, message } = this.closeFigures(ch, volume);
    return this.fileFor(
      'close',
      message,
      contract,
      own,
      Math.min(this.now() + FILE_LIFETIME_MS, ch.timeLock),
    );
  }

  reviewFile(content: string): FileReview {
    return reviewTransferFile(content, this.reviewContext());
  }

  countersign(content: string, identityId: string): TextFile {
    const file = countersignTransferFile(content, this.d.identities.signer(identityId), this.reviewContext());
    this.recordPending(file.content);
    return file;
  }

  async submitFile(content: string): Promise<ChannelView> {
    const review = this.reviewFile(content);
    if (!review.complete)
      throw new AppError('INCOMPLETE_FILE', 'the file needs both signatures before it can be submitted');
    if (review.problems.length) throw new AppError('BAD_FILE', review.problems.join('; '));
    const f = parseTransferFile(content);
    const { api } = this.online();
    const payload = {
      message: f.message,
      fromPK: f.fromPK,
      fromSign: f.fromSign!,
      toPK: f.toPK,
      toSign: f.toSign!,
    };
    const body = JSON.parse(f.message) as Record<string, unknown>;
    const contract: Contract = {
      ...(contractMessage.parse(body) as Contract),
    };
    if (f.kind === 'open') {
      const { timeLock } = await api.openTransfer(payload);
      const view = this.recordChannel(contract, timeLock, 'open');
      await this.afterWrite(contract);
      return view;
    }
    const close = closeSchema.parse(body);
    await api.closeTransfer(payload);
    const known = this.findChannel(contract.channelId);
    const view = this.recordChannel(contract, known?.timeLock ?? this.now(), 'closed', {
      quantumCount: String(close.quantumCount),
      tokens: close.tokens,
      volume: String(close.volume),
    });
    await this.afterWrite(contract);
    return view;
  }

  // ---------- watching: expiry events, auto-renew, periodic refresh ----------

  start(): void {
    this.ticker ??= setInterval(() => void this.tick().catch(() => undefined), 1000);
    this.ticker.unref?.();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  /** One pass of the watcher (also called directly by tests). */
  async tick(): Promise<void> {
    const lead = this.d.settings.get().expiryWarningLeadMs;
    const now = this.now();
    const online = this.d.connection() !== null;
    for (const identity of this.d.identities.list()) {
      for (const a of this.listAddresses(identity.id)) {
        if (a.status === 'closed') continue;
        this.watch(
          identity.id,
          a.kind,
          a.address,
          a.timeLock,
          this.leadFor(lead, a.openedAt, a.timeLock),
          now,
        );
        if (
          online &&
          identity.autoRenew &&
          identity.unlocked &&
          a.status === 'open' &&
          a.timeLock - now <= this.leadFor(lead, a.openedAt, a.timeLock)
        ) {
          await this.renew(identity.id, a).catch((e: Error) =>
            this.notify('error', 'autoRenew.failed', `auto-renew of ${a.address} failed: ${e.message}`, {
              address: a.address,
            }),
          );
        }
      }
      for (const c of this.listChannels(identity.id)) {
        if (c.state === 'open' || c.state === 'expired')
          this.watch(
            identity.id,
            'channel',
            c.channelId,
            c.timeLock,
            this.leadFor(lead, c.openedAt, c.timeLock),
            now,
          );
      }
    }
    if (online && now - this.lastRefresh >= REFRESH_INTERVAL_MS) {
      this.lastRefresh = now;
      for (const identity of this.d.identities.list().filter((i) => i.unlocked)) {
        await this.refreshAddresses(identity.id).catch(() => undefined);
        await this.d.syncHistory?.(identity.id).catch(() => undefined);
        await this.refreshChannels(identity.id).catch(() => undefined);
      }
    }
  }

  /**
   * The warning lead for one address or channel: the user's setting, but never more than half its
   * lifetime (a 5-minute channel would otherwise warn the moment it opens).
   */
  private leadFor(lead: number, openedAt: number | null, timeLock: number): number {
    return openedAt === null ? lead : Math.min(lead, Math.max(0, (timeLock - openedAt) / 2));
  }

  private watch(
    identityId: string,
    kind: 'spend' | 'income' | 'channel',
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
        this.notify('warning', 'expiry.expired', `${kind} ${target} has expired`, { kind, target });
      }
    } else if (timeLock - now <= lead && !this.warned.has(key)) {
      this.warned.add(key);
      this.d.events.emit('expiry.warning', { identityId, kind, target, timeLock });
      this.notify('warning', 'expiry.warning', `${kind} ${target} expires soon`, { kind, target, timeLock });
    }
  }

  /** Auto-renew: an address near expiry with no open channel is closed and a new one opened. */
  private async renew(identityId: string, a: AddressView): Promise<void> {
    if (this.renewing.has(a.address)) return;
    const busy = this.listChannels(identityId).some(
      (c) => c.state === 'open' && (c.fromAddress === a.address || c.toAddress === a.address),
    );
    if (busy || a.limitAmount !== a.amount || a.limitQuantumVolume !== a.quantumVolume) return;
    this.renewing.add(a.address);
    try {
      await this.closeAddress(identityId, a.address);
      const fresh = await this.openAddress(identityId, a.kind);
      this.d.events.emit('autoRenew.renewed', {
        identityId,
        kind: a.kind,
        closed: a.address,
        opened: fresh.address,
      });
      this.notify('info', 'autoRenew.renewed', `${a.kind} address renewed: ${fresh.address}`, {
        kind: a.kind,
        closed: a.address,
        opened: fresh.address,
      });
    } finally {
      this.renewing.delete(a.address);
    }
  }
}
