/**
 * The offer/receipt file flow (file format in offer-file.ts): an app signs its side of a channel's
 * open or close into a file, the counterparty reviews and countersigns it, either submits it.
 */
import type { ChannelDraft, ChannelView, FileReview, TextFile } from '../../../shared/api/models';
import { parsePublicKey } from '../../../shared/crypto/keys';
import { contractMessage, closeMessage as closeSchema } from '../../../shared/protocol/schemas';
import { AppError } from '../api/backend';
import type { ChannelBook } from './channel-book';
import { isSettled } from './channel-states';
import { closeFigures, draftContract } from './drafts';
import { openMessage, type Contract } from './messages';
import {
  countersignTransferFile,
  createTransferFile,
  fileNameFor,
  parseTransferFile,
  reviewTransferFile,
  serializeTransferFile,
  type ReviewContext,
} from './offer-file';
import type { Signer } from './types';
import { problem, problemsText } from './problems';
import type { WalletContext } from './wallet-context';

/** How long an offer or receipt stays valid when nothing shorter (a timeLock) bounds it. */
const FILE_LIFETIME_MS = 60 * 60_000;

/** A channel that closed (or is settling) can never open again. */
const closedForGood = (c: ChannelView | undefined): boolean =>
  !!c && (isSettled(c) || c.state === 'settling');

export class TransferFiles {
  constructor(
    private readonly ctx: WalletContext,
    private readonly channels: ChannelBook,
  ) {}

  private reviewContext(): ReviewContext {
    return {
      now: this.ctx.now(),
      trackerFingerprint: this.ctx.connection()?.trackerFingerprint ?? null,
      localIdentity: (pem) => this.ctx.identities.findByKey(pem)?.id ?? null,
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
      trackerFingerprint: this.ctx.online().trackerFingerprint,
      message,
      fromPK: contract.fromPK,
      toPK: contract.toPK,
      author: own,
      createdAt: this.ctx.now(),
      expiresAt,
    });
    return { fileName: fileNameFor(f, contract.channelId), content: serializeTransferFile(f) };
  }

  /** A channel this app signed but the tracker has not seen yet (an offer in flight). */
  private recordPending(content: string): void {
    const f = parseTransferFile(content);
    if (f.kind !== 'open') return;
    const contract = contractMessage.parse(JSON.parse(f.message)) as Contract;
    if (this.ctx.findChannel(contract.channelId)) return;
    this.channels.record(contract, f.expiresAt, 'unknown');
  }

  createOffer(
    identityId: string,
    counterpartyPK: string,
    draft: ChannelDraft,
    role: 'payer' | 'payee',
  ): TextFile {
    const own = this.ctx.identities.signer(identityId);
    try {
      parsePublicKey(counterpartyPK);
    } catch {
      throw new AppError('BAD_KEY', 'the counterparty key is not an RSA public key PEM');
    }
    const contract =
      role === 'payer'
        ? draftContract(draft, own.publicPem, counterpartyPK)
        : draftContract(draft, counterpartyPK, own.publicPem);
    let bound = Infinity;
    if (role === 'payer') {
      const spend = this.ctx.knownAddress(identityId, contract.fromAddress);
      if (!spend || spend.status !== 'open')
        throw new AppError('ADDRESS_NOT_FOUND', 'choose an open spend address of this identity');
      bound = spend.timeLock;
    }
    const expiresAt = Math.min(this.ctx.now() + FILE_LIFETIME_MS, bound);
    const file = this.fileFor('open', openMessage(contract), contract, own, expiresAt);
    this.recordPending(file.content);
    return file;
  }

  createReceipt(identityId: string, channelId: string, volume: string): TextFile {
    const own = this.ctx.identities.signer(identityId);
    const ch = this.ctx.channels(identityId).find((c) => c.channelId === channelId);
    if (!ch) throw new AppError('CHANNEL_NOT_FOUND', 'this identity has no such channel');
    const { contract, message } = closeFigures(ch, volume);
    return this.fileFor(
      'close',
      message,
      contract,
      own,
      Math.min(this.ctx.now() + FILE_LIFETIME_MS, ch.timeLock),
    );
  }

  review(content: string): FileReview {
    const review = reviewTransferFile(content, this.reviewContext());
    if (review.kind === 'open' && closedForGood(this.ctx.findChannel(review.channelId))) {
      review.problems.push(
        problem('alreadyClosed', 'this channel was already closed: the offer cannot open it again'),
      );
    }
    return review;
  }

  countersign(content: string, identityId: string): TextFile {
    const file = countersignTransferFile(
      content,
      this.ctx.identities.signer(identityId),
      this.reviewContext(),
    );
    this.recordPending(file.content);
    return file;
  }

  async submit(content: string): Promise<ChannelView> {
    const review = this.review(content);
    if (!review.complete)
      throw new AppError('INCOMPLETE_FILE', 'the file needs both signatures before it can be submitted');
    if (review.kind === 'open' && closedForGood(this.ctx.findChannel(review.channelId))) {
      throw new AppError(
        'CHANNEL_CLOSED',
        `channel ${review.channelId} was already closed: it cannot open again`,
      );
    }
    if (review.problems.length) throw new AppError('BAD_FILE', problemsText(review.problems));
    const f = parseTransferFile(content);
    const payload = {
      message: f.message,
      fromPK: f.fromPK,
      fromSign: f.fromSign!,
      toPK: f.toPK,
      toSign: f.toSign!,
    };
    const body = JSON.parse(f.message) as Record<string, unknown>;
    const contract = contractMessage.parse(body) as Contract;
    if (f.kind === 'open') return this.channels.submitOpen(contract, payload);
    const close = closeSchema.parse(body);
    return this.channels.submitClose(
      contract,
      {
        quantumCount: String(close.quantumCount),
        tokens: close.tokens,
        volume: String(close.volume),
      },
      payload,
    );
  }
}
