/** Transfer channels: open (8), close (16), state (512) and zero settlement on expiry. */
import { ProtocolError } from '../../shared/protocol/errors';
import { TxType, ChannelState } from '../../shared/protocol/commands';
import {
  UINT64_MAX,
  checkSettlement,
  comparePrices,
  plannedBytes,
  reservation,
} from '../../shared/protocol/amounts';
import {
  canonicalJson,
  closeMessage,
  contractMessage,
  parseWith,
  type ContractMessage,
} from '../../shared/protocol/schemas';
import { checkAddress, commonAddressesOf } from '../../shared/crypto/address';
import type { VerifiedDouble } from '../../shared/crypto/signed-payload';
import type { LedgerReads, LedgerWrites } from '../storage/port';
import { ownerIdOf, type LedgerContext } from './context';
import { writeTx } from './transactions';
import type { Addresses } from './addresses';
import { balancesOf, saveBalances } from './balances';
import { adjustCommon, ensureCommon } from './common';
import type { AddressRow, ChannelRow } from './rows';
import type { CommandResults, PkOut } from './results';

const OPEN = ChannelState.OPEN;
const CLOSED = ChannelState.CLOSED;

interface Figures {
  quantumCount: bigint;
  tokens: bigint;
  volume: bigint;
}

function contractKey(c: ContractMessage, fromPem: string, toPem: string): string {
  return canonicalJson({
    channelId: c.channelId,
    fromPK: fromPem,
    toPK: toPem,
    fromAddress: c.fromAddress,
    toAddress: c.toAddress,
    priceTokens: c.priceTokens,
    priceQuantumPower: c.priceQuantumPower,
    plannedQuantumCount: c.plannedQuantumCount,
  });
}

function figuresKey(f: Figures): string {
  return canonicalJson({
    quantumCount: f.quantumCount.toString(),
    tokens: f.tokens.toString(),
    volume: f.volume.toString(),
  });
}

export class Transfers {
  constructor(
    private readonly ctx: LedgerContext,
    private readonly addresses: Addresses,
  ) {}

  async open(w: LedgerWrites, v: VerifiedDouble): Promise<CommandResults[8]> {
    const c = parseWith(contractMessage, v.body, 'contract');
    const from = checkAddress(c.fromAddress, 'spend');
    if (!from.valid) throw new ProtocolError('BAD_ADDRESS', `fromAddress: ${from.reason}`);
    const to = checkAddress(c.toAddress);
    if (!to.valid || to.kind === 'spend') {
      throw new ProtocolError(
        'BAD_ADDRESS',
        `toAddress: ${to.reason ?? 'must be an income or common address'}`,
      );
    }
    const key = contractKey(c, v.from.pem, v.to.pem);
    const existing = await w.channel(c.channelId);
    if (existing) {
      if (existing.contract !== key) {
        throw new ProtocolError(
          'CHANNEL_CONFLICT',
          `channel ${c.channelId} exists with a different contract`,
        );
      }
      return this.openResult(existing.time_lock);
    }

    const now = this.ctx.now();
    const spend = await this.addresses.usable(w, 'spend', c.fromAddress, v.from, 'payer');
    let income: AddressRow | null = null;
    if (to.kind === 'income') {
      income = await this.addresses.usable(w, 'income', c.toAddress, v.to, 'payee');
    } else {
      const own = new Set([...commonAddressesOf(v.payload.toPK), ...commonAddressesOf(v.to.pem)]);
      if (!own.has(c.toAddress)) {
        throw new ProtocolError('NOT_OWNER', 'toAddress is not the common address of toPK');
      }
    }

    const price = { amount: BigInt(c.priceTokens), quantumPower: c.priceQuantumPower };
    const spendMax = { amount: BigInt(spend.price_amount), quantumPower: spend.price_power };
    if (comparePrices(price, spendMax) > 0) {
      throw new ProtocolError(
        'PRICE_OUT_OF_BOUNDS',
        `price ${c.priceTokens}/2^${c.priceQuantumPower} is above the spend address maximum ${spend.price_amount}/2^${spend.price_power}`,
      );
    }
    if (income) {
      const incomeMin = { amount: BigInt(income.price_amount), quantumPower: income.price_power };
      if (comparePrices(price, incomeMin) < 0) {
        throw new ProtocolError(
          'PRICE_OUT_OF_BOUNDS',
          `price ${c.priceTokens}/2^${c.priceQuantumPower} is below the income address minimum ${income.price_amount}/2^${income.price_power}`,
        );
      }
    }

    const planned = BigInt(c.plannedQuantumCount);
    const reserve = reservation(price.amount, planned);
    const bytes = plannedBytes(planned, c.priceQuantumPower);
    const sb = balancesOf(spend);
    if (reserve > sb.amount - sb.reserved) {
      throw new ProtocolError(
        'INSUFFICIENT_LIMIT',
        `reservation ${reserve} exceeds the spend address limit ${sb.amount - sb.reserved}`,
      );
    }
    const ib = income ? balancesOf(income) : null;
    for (const b of ib ? [sb, ib] : [sb]) {
      // limit.amount is amount − reserved on a spend address (bounded by the check above) and
      // amount + reserved only on an income address: only the latter can overflow.
      if (
        b.quantumVolume + b.plannedBytes + bytes > UINT64_MAX ||
        (b === ib && b.amount + b.reserved + reserve > UINT64_MAX)
      ) {
        throw new ProtocolError('INSUFFICIENT_LIMIT', 'planned traffic would overflow the 64-bit limits');
      }
    }

    const timeLock = Math.min(
      now + this.ctx.cfg.transferLifetimeMs,
      spend.time_lock,
      income?.time_lock ?? Infinity,
    );
    const fromId = ownerIdOf(v.from);
    const toId = ownerIdOf(v.to);
    await saveBalances(w, spend.address, {
      ...sb,
      reserved: sb.reserved + reserve,
      plannedBytes: sb.plannedBytes + bytes,
      openChannels: sb.openChannels + 1,
    });
    if (income && ib) {
      await saveBalances(w, income.address, {
        ...ib,
        reserved: ib.reserved + reserve,
        plannedBytes: ib.plannedBytes + bytes,
        openChannels: ib.openChannels + 1,
      });
    }
    const payee = await ensureCommon(w, v.to, v.payload.toPK);
    await adjustCommon(w, payee, { plan: reserve });
    // The transaction last (see Addresses.open).
    const openTxId = await writeTx(this.ctx, w, {
      type: TxType.OPEN_TRANSFER,
      from: c.fromAddress,
      to: c.toAddress,
      contractId: c.channelId,
      priceAmount: price.amount,
      pricePower: c.priceQuantumPower,
      plannedQuantumCount: planned,
      timelock: timeLock,
      parties: [fromId, toId],
    });
    await w.insertChannel({
      channel_id: c.channelId,
      from_id: fromId,
      to_id: toId,
      from_address: c.fromAddress,
      to_address: c.toAddress,
      to_common: income ? 0 : 1,
      price_tokens: c.priceTokens,
      price_power: c.priceQuantumPower,
      planned: planned.toString(),
      contract: key,
      time_lock: timeLock,
      opened_at: now,
      open_tx_id: openTxId,
    });
    return this.openResult(timeLock);
  }

  private openResult(timeLock: number): CommandResults[8] {
    return {
      pk: this.ctx.trackerPem,
      timeLock,
      lifetime: Math.max(0, timeLock - this.ctx.now()),
    };
  }

  async close(w: LedgerWrites, v: VerifiedDouble): Promise<PkOut> {
    const m = parseWith(closeMessage, v.body, 'close message');
    const ch = await w.channel(m.channelId);
    if (!ch) throw new ProtocolError('CHANNEL_NOT_FOUND', `no transfer channel ${m.channelId}`);
    if (contractKey(m, v.from.pem, v.to.pem) !== ch.contract) {
      throw new ProtocolError(
        'CHANNEL_CONFLICT',
        `the contract fields differ from those of open channel ${m.channelId}`,
      );
    }
    const figures: Figures = {
      quantumCount: BigInt(m.quantumCount),
      tokens: BigInt(m.tokens),
      volume: BigInt(m.volume),
    };
    checkSettlement(
      {
        priceTokens: BigInt(ch.price_tokens),
        priceQuantumPower: ch.price_power,
        plannedQuantumCount: BigInt(ch.planned),
      },
      figures,
    );
    if (ch.status === CLOSED) {
      if (ch.expired) {
        throw new ProtocolError(
          'EXPIRED',
          `channel ${ch.channel_id} expired and was settled at zero by the tracker`,
        );
      }
      if (ch.settlement !== figuresKey(figures)) {
        throw new ProtocolError(
          'CHANNEL_CONFLICT',
          `channel ${ch.channel_id} was already closed with other figures`,
        );
      }
      return { pk: this.ctx.trackerPem };
    }
    if (this.ctx.now() > ch.time_lock) {
      throw new ProtocolError(
        'EXPIRED',
        `channel ${ch.channel_id} expired at ${new Date(ch.time_lock).toISOString()}`,
      );
    }
    await this.settle(w, ch, figures, false);
    return { pk: this.ctx.trackerPem };
  }

  /** Moves the settled atoms and releases the reservation (a close, or a zero close on expiry). */
  async settle(w: LedgerWrites, ch: ChannelRow, f: Figures, expired: boolean): Promise<void> {
    if (ch.status !== OPEN) throw new Error(`invariant violated: settling closed channel ${ch.channel_id}`);
    const planned = BigInt(ch.planned);
    const price = BigInt(ch.price_tokens);
    const reserve = reservation(price, planned);
    const bytes = plannedBytes(planned, ch.price_power);
    const paidBytes = plannedBytes(f.quantumCount, ch.price_power);
    const spend = (await w.address(ch.from_address))!;
    const sb = balancesOf(spend);
    await saveBalances(w, spend.address, {
      ...sb,
      amount: sb.amount - f.tokens,
      quantumVolume: sb.quantumVolume + paidBytes,
      volume: sb.volume + f.volume,
      reserved: sb.reserved - reserve,
      plannedBytes: sb.plannedBytes - bytes,
      openChannels: sb.openChannels - 1,
    });
    const payee = await w.commonByOwner(ch.to_id);
    if (!payee) throw new Error('invariant violated: payee without common record');
    if (ch.to_common) {
      await adjustCommon(w, payee, { profit: f.tokens, fact: f.tokens, plan: -reserve });
    } else {
      const income = (await w.address(ch.to_address))!;
      const ib = balancesOf(income);
      await saveBalances(w, income.address, {
        ...ib,
        amount: ib.amount + f.tokens,
        quantumVolume: ib.quantumVolume + paidBytes,
        volume: ib.volume + f.volume,
        reserved: ib.reserved - reserve,
        plannedBytes: ib.plannedBytes - bytes,
        openChannels: ib.openChannels - 1,
      });
      await adjustCommon(w, payee, { fact: f.tokens, plan: -reserve });
    }
    const closeTxId = await writeTx(this.ctx, w, {
      type: TxType.CLOSE_TRANSFER,
      from: ch.from_address,
      to: ch.to_address,
      amount: f.tokens,
      volume: f.volume,
      quantumCount: f.quantumCount,
      contractId: ch.channel_id,
      priceAmount: price,
      pricePower: ch.price_power,
      plannedQuantumCount: planned,
      timelock: ch.time_lock,
      parentTxId: ch.open_tx_id,
      parties: [ch.from_id, ch.to_id],
    });
    await w.closeChannel({
      channel_id: ch.channel_id,
      settlement: figuresKey(f),
      expired: expired ? 1 : 0,
      closed_at: this.ctx.now(),
      close_tx_id: closeTxId,
    });
  }

  async state(r: LedgerReads, channelId: string): Promise<CommandResults[512]> {
    const ch = await r.channel(channelId);
    const state = ch ? (ch.status as typeof OPEN | typeof CLOSED) : ChannelState.NOT_FOUND;
    return { channelId, state, pk: this.ctx.trackerPem };
  }
}
