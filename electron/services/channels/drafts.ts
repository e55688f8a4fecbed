/**
 * Transfer channel drafts before anything is signed: the contract a draft makes, and every problem
 * the tracker would refuse it (or a close) for, so the UI can say so first.
 */
import type {
  ChannelDraft,
  ChannelPreview,
  ChannelView,
  ClosePreview,
  Problem,
} from '../../../shared/api/models';
import { checkAddress } from '../../../shared/crypto/address';
import { comparePrices, plannedBytes, reservation, UINT64_MAX } from '../../../shared/protocol/amounts';
import { contractMessage } from '../../../shared/protocol/schemas';
import { AppError } from '../api/backend';
import { closeMessage, newChannelId, openMessage, settlementFor, type Contract } from './messages';
import { problem, problemsText } from './problems';
import type { WalletContext } from './wallet-context';

/** The contract of a channel the app knows. */
function contractOf(c: ChannelView): Contract {
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

/** The contract a draft makes between two keys (a fresh channel id unless the draft names one). */
export function draftContract(draft: ChannelDraft, fromPK: string, toPK: string): Contract {
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

/** What closing `ch` after `volume` bytes settles, with every problem the tracker would refuse it for. */
export function previewClose(ch: ChannelView, volume: string): ClosePreview {
  const s = settlementFor(contractOf(ch), BigInt(volume));
  const problems: Problem[] = [];
  if (s.quantumCount > BigInt(ch.plannedQuantumCount)) {
    problems.push(
      problem(
        'quantaOverPlanned',
        `${s.quantumCount} quanta exceed the ${ch.plannedQuantumCount} planned`,
        { quantaCount: s.quantumCount.toString(), plannedCount: ch.plannedQuantumCount },
        'volume',
      ),
    );
  }
  if (ch.state !== 'open')
    problems.push(problem('channelNotOpen', `the channel is ${ch.state}`, { state: ch.state }));
  return {
    quantumCount: s.quantumCount.toString(),
    tokens: s.tokens.toString(),
    volume: s.volume.toString(),
    problems,
  };
}

/** The close message of `ch` after `volume` bytes; refuses what the tracker would refuse. */
export function closeFigures(ch: ChannelView, volume: string) {
  const preview = previewClose(ch, volume);
  if (preview.problems.length) throw new AppError('BAD_SETTLEMENT', problemsText(preview.problems));
  const contract = contractOf(ch);
  const settlement = settlementFor(contract, BigInt(volume));
  return { contract, settlement, message: closeMessage(contract, settlement) };
}

export class Drafts {
  constructor(private readonly ctx: WalletContext) {}

  /** Reservation and planned bytes of a draft, with every problem the tracker would refuse it for. */
  async preview(identityId: string, draft: ChannelDraft): Promise<ChannelPreview> {
    const problems: Problem[] = [];
    const price = BigInt(draft.priceTokens);
    const planned = BigInt(draft.plannedQuantumCount);
    const reserve = reservation(price, planned);
    const bytes = plannedBytes(planned, draft.pricePower);
    if (planned < 1n) problems.push(problem('plannedZero', 'plan at least one quantum', {}, 'planned'));
    const spend = this.ctx.knownAddress(identityId, draft.fromAddress.trim());
    if (!checkAddress(draft.fromAddress.trim(), 'spend').valid)
      problems.push(problem('spendInvalid', 'choose one of your spend addresses', {}, 'spend'));
    else if (!spend || spend.kind !== 'spend')
      problems.push(problem('spendNotOwn', 'the spend address is not one of this identity’s', {}, 'spend'));
    else if (spend.status !== 'open')
      problems.push(
        problem('spendNotOpen', `the spend address is ${spend.status}`, { status: spend.status }, 'spend'),
      );
    else {
      if (reserve > BigInt(spend.limitAmount)) {
        problems.push(
          problem(
            'overLimit',
            `the reservation ${reserve} atoms exceeds the spend address limit ${spend.limitAmount} atoms`,
            { reservationAtoms: reserve.toString(), limitAtoms: spend.limitAmount },
            'planned',
          ),
        );
      }
      const max = { amount: BigInt(spend.priceAmount), quantumPower: spend.pricePower };
      if (comparePrices({ amount: price, quantumPower: draft.pricePower }, max) > 0) {
        problems.push(
          problem(
            'priceAboveMax',
            `the price is above the spend address maximum of ${spend.priceAmount} atoms per 2^${spend.pricePower} bytes`,
            { maxAtoms: spend.priceAmount, maxPower: spend.pricePower },
            'price',
          ),
        );
      }
    }
    const to = checkAddress(draft.toAddress.trim());
    if (!to.valid && to.kind && to.kind !== 'spend')
      problems.push(
        problem('payeeChecksum', 'the payee address has a wrong checksum: it was mistyped', {}, 'to'),
      );
    else if (!to.valid || to.kind === 'spend')
      problems.push(problem('payeeKind', 'the payee address must be an income or common address', {}, 'to'));
    else if (to.kind === 'income') {
      const min = await this.incomeMinimum(draft.toAddress.trim(), identityId).catch(() => null);
      if (min === null)
        problems.push(
          problem(
            'incomeUnknown',
            'the income address could not be checked: is it open on this tracker?',
            {},
            'to',
          ),
        );
      else if (comparePrices({ amount: price, quantumPower: draft.pricePower }, min) < 0) {
        problems.push(
          problem(
            'priceBelowMin',
            `the price is below the income address minimum of ${min.amount} atoms per 2^${min.quantumPower} bytes`,
            { minAtoms: min.amount.toString(), minPower: min.quantumPower },
            'price',
          ),
        );
      }
    }
    return { reservation: reserve.toString(), plannedBytes: bytes.toString(), problems };
  }

  /** The minimum price of an income address: a local identity's from the cache, else from the tracker. */
  private async incomeMinimum(address: string, readerId: string) {
    for (const i of this.ctx.identities.list()) {
      const v = this.ctx.knownAddress(i.id, address);
      if (v && v.kind === 'income') {
        if (v.status !== 'open') return null;
        return { amount: BigInt(v.priceAmount), quantumPower: v.pricePower };
      }
    }
    const run = this.ctx.beginRead([readerId]);
    const s = await run.conn.api.addressState('income', run.signer, address);
    return { amount: BigInt(s.priceAmount), quantumPower: s.pricePower };
  }
}
