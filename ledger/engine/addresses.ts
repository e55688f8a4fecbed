/** Spend and income addresses: open (2/4), close (32/64), state (128/256) and closing on expiry. */
import { ProtocolError } from '../../shared/protocol/errors';
import { TxType } from '../../shared/protocol/commands';
import { checkAddress, channelAddressOf } from '../../shared/crypto/address';
import type { ParsedKey } from '../../shared/crypto/keys';
import { toJsonInteger } from '../../shared/protocol/amounts';
import type { LedgerReads, LedgerWrites } from '../storage/port';
import { ownerIdOf, type LedgerContext } from './context';
import { writeTx } from './transactions';
import { CLOSED, OPEN, type AddressRow } from './rows';
import { addressStateResult, balancesOf, saveBalances } from './balances';
import { adjustCommon, ensureCommon } from './common';
import type { AddressStateOut, CloseAddressOut } from './results';

export type PeerAddressKind = 'spend' | 'income';

export class Addresses {
  constructor(private readonly ctx: LedgerContext) {}

  async trackerRow(r: LedgerReads): Promise<AddressRow> {
    const row = await r.address(this.ctx.trackerAddress);
    if (!row) throw new Error('tracker wallet missing: database not initialised');
    return row;
  }

  async open(
    w: LedgerWrites,
    kind: PeerAddressKind,
    signer: ParsedKey,
    sentPem: string,
  ): Promise<AddressStateOut> {
    const { cfg, now } = this.ctx;
    const ownerId = ownerIdOf(signer);
    const n = await w.countOpenAddresses(ownerId, kind);
    if (n >= cfg.maxOpenAddressesPerPeer) {
      throw new ProtocolError(
        'TOO_MANY_ADDRESSES',
        `this key already holds ${n} open ${kind} addresses (at most ${cfg.maxOpenAddressesPerPeer})`,
      );
    }
    let funded = 0n;
    if (kind === 'spend') {
      const tracker = await this.trackerRow(w);
      const tb = balancesOf(tracker);
      if (tb.amount === 0n)
        throw new ProtocolError('NO_FUNDS', 'the tracker has no funds left to open a spend address');
      funded = tb.amount < cfg.amountSpend ? tb.amount : cfg.amountSpend;
      await saveBalances(w, tracker.address, { ...tb, amount: tb.amount - funded });
    }
    const t = now();
    // Several opens in one millisecond would derive one address: step the opening time until free.
    let openedAt = t;
    let address = channelAddressOf(kind, this.ctx.trackerPem, signer.pem, openedAt);
    while (await w.address(address)) {
      openedAt += 1;
      address = channelAddressOf(kind, this.ctx.trackerPem, signer.pem, openedAt);
    }
    const timeLock = t + (kind === 'spend' ? cfg.spendLifetimeMs : cfg.incomeLifetimeMs);
    const price = kind === 'spend' ? cfg.priceAmountSpend : cfg.priceAmountIncome;
    await ensureCommon(w, signer, sentPem);
    // The transaction last: with a shared database, writing it holds the history's order until
    // the commit (storage/postgres), so the less that follows it the better.
    const openTxId = await writeTx(this.ctx, w, {
      type: kind === 'spend' ? TxType.OPEN_SPEND : TxType.OPEN_INCOME,
      from: this.ctx.trackerAddress,
      to: address,
      amount: funded,
      priceAmount: price,
      pricePower: cfg.quantumPower,
      timelock: timeLock,
      parties: [ownerId],
    });
    await w.insertAddress({
      address,
      kind,
      owner_id: ownerId,
      owner_pk: signer.pem,
      status: OPEN,
      opened_at: openedAt,
      time_lock: timeLock,
      amount: funded.toString(),
      quantum_volume: '0',
      volume: '0',
      reserved: '0',
      planned_bytes: '0',
      price_amount: price.toString(),
      price_power: cfg.quantumPower,
      open_channels: 0,
      open_tx_id: openTxId,
    });
    const row = (await w.address(address))!;
    return { ...addressStateResult(row, this.ctx.trackerPem), lifetime: timeLock - t };
  }

  /** An address of the given kind that exists (BAD_ADDRESS, ADDRESS_NOT_FOUND otherwise). */
  async find(r: LedgerReads, kind: PeerAddressKind, address: string): Promise<AddressRow> {
    // A stored address was derived here, so its checksum is right: hashing is only needed to tell
    // a malformed address (BAD_ADDRESS) from an unknown one (ADDRESS_NOT_FOUND).
    const row = typeof address === 'string' ? await r.address(address) : undefined;
    if (row && row.kind === kind) return row;
    const check = checkAddress(address, kind);
    if (!check.valid) throw new ProtocolError('BAD_ADDRESS', `${kind} address is invalid: ${check.reason}`);
    throw new ProtocolError('ADDRESS_NOT_FOUND', `no ${kind} address ${address}`);
  }

  /**
   * An address the signer may change now: open, owned, unexpired. SPEC §4 orders the checks
   * "open, owned, unexpired" for cmd 32/64 but "open, unexpired, owned" for cmd 8 (role payer/payee).
   */
  async usable(
    r: LedgerReads,
    kind: PeerAddressKind,
    address: string,
    owner: ParsedKey,
    role = 'signer',
  ): Promise<AddressRow> {
    const row = await this.find(r, kind, address);
    if (row.status !== OPEN)
      throw new ProtocolError('ADDRESS_CLOSED', `${kind} address ${address} is closed`);
    const expiryFirst = role !== 'signer';
    if (expiryFirst) this.checkUnexpired(kind, row);
    if (row.owner_id !== ownerIdOf(owner)) {
      throw new ProtocolError('NOT_OWNER', `${kind} address ${address} does not belong to the ${role}`);
    }
    if (!expiryFirst) this.checkUnexpired(kind, row);
    return row;
  }

  private checkUnexpired(kind: PeerAddressKind, row: AddressRow): void {
    if (this.ctx.now() > row.time_lock) {
      throw new ProtocolError(
        'EXPIRED',
        `${kind} address ${row.address} expired at ${new Date(row.time_lock).toISOString()}`,
      );
    }
  }

  async state(r: LedgerReads, kind: PeerAddressKind, address: string): Promise<AddressStateOut> {
    const row = await this.find(r, kind, address);
    if (row.status !== OPEN)
      throw new ProtocolError('ADDRESS_CLOSED', `${kind} address ${address} is closed`);
    return addressStateResult(row, this.ctx.trackerPem);
  }

  async close(
    w: LedgerWrites,
    kind: PeerAddressKind,
    signer: ParsedKey,
    address: string,
  ): Promise<CloseAddressOut> {
    const row = await this.usable(w, kind, address, signer);
    if (row.open_channels > 0) {
      throw new ProtocolError(
        'OPEN_CHANNELS',
        `${kind} address has ${row.open_channels} open transfer channel(s)`,
      );
    }
    const before = balancesOf(row);
    await this.settleAndClose(w, row);
    return {
      pk: this.ctx.trackerPem,
      state: {
        amount: before.amount.toString(),
        quantumVolume: toJsonInteger(before.quantumVolume),
        volume: toJsonInteger(before.volume),
      },
    };
  }

  /**
   * Returns the address's atoms to the tracker and closes it (cmd 32/64 and the expiry job); an
   * income address's atoms then go on to the owner's common address as TX_FINANCIAL.
   */
  async settleAndClose(w: LedgerWrites, row: AddressRow): Promise<void> {
    if (row.status === CLOSED) throw new Error(`invariant violated: closing closed address ${row.address}`);
    const b = balancesOf(row);
    const tracker = await this.trackerRow(w);
    const tb = balancesOf(tracker);
    // Every row this touches is read (and, with a shared database, locked) before its transactions.
    const common = row.kind === 'income' && b.amount > 0n ? await w.commonByOwner(row.owner_id) : undefined;
    const closeTxId = await writeTx(this.ctx, w, {
      type: row.kind === 'spend' ? TxType.CLOSE_SPEND : TxType.CLOSE_INCOME,
      from: row.address,
      to: this.ctx.trackerAddress,
      amount: b.amount,
      volume: b.volume,
      parentTxId: row.open_tx_id,
      parties: [row.owner_id],
    });
    await w.closeAddress(row.address, this.ctx.now());
    if (row.kind === 'income' && b.amount > 0n) {
      if (!common) throw new Error(`invariant violated: income owner without common address`);
      await writeTx(this.ctx, w, {
        type: TxType.FINANCIAL,
        from: this.ctx.trackerAddress,
        to: common.address,
        amount: b.amount,
        parentTxId: closeTxId,
        parties: [row.owner_id],
      });
      await adjustCommon(w, common, { profit: b.amount });
    } else {
      await saveBalances(w, tracker.address, { ...tb, amount: tb.amount + b.amount });
    }
  }
}
