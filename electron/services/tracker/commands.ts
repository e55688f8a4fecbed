/**
 * Typed tracker commands (SPEC §4) over a TrackerSession: signed payloads in, validated results out.
 * Results are parsed leniently for the original server (`timelock`, amounts as numbers), amounts
 * come out as decimal strings. Plain Node (no electron).
 */
import type { z } from 'zod';
import { Cmd } from '../../../shared/protocol/commands';
import {
  addressStateResult,
  channelStateResult,
  closeAddressResult,
  commonStateResult,
  firstTransactionsResult,
  nextTransactionsResult,
  openTransferResult,
  pkResult,
  type DoubleSignedPayload,
} from '../../../shared/protocol/schemas';
import { signJsonPayload, signPemPayload, type Signer } from '../../../shared/crypto/signed-payload';
import { TrackerError, isTrackerError } from './errors';
import type { RequestOptions, TrackerResponse, TrackerSession } from './session';

export type AddressState = z.output<typeof addressStateResult>;
export type OpenTransferResult = z.output<typeof openTransferResult>;
export type ChannelStateResult = z.output<typeof channelStateResult>;
export type CommonState = z.output<typeof commonStateResult>;
export type AddressTotals = z.output<typeof closeAddressResult>['state'];
export type TransactionsMeta = z.output<typeof firstTransactionsResult>['_meta'];

export interface CloseAddressOutcome {
  /**
   * True when the connection dropped during the close and a later state read found the address
   * closed: the close (or the expiry job) happened, but its result (`state`) was lost.
   */
  closedWhileDisconnected: boolean;
  /** The address totals before the close, as the tracker answered them; null when unknown. */
  state: AddressTotals | null;
}

export interface FieldFilter {
  value: string | number;
}

export interface FirstTransactionsQuery {
  pageSize: number;
  page: number;
  /** 1 = oldest first; default newest first. */
  order?: 0 | 1 | -1;
  fields?: { tx_type?: FieldFilter; channel_id?: FieldFilter; from?: FieldFilter; to?: FieldFilter };
}

export interface TransactionsPage {
  meta: TransactionsMeta;
  /** Raw items: the history module validates (and verifies) them. */
  items: unknown[];
}

export interface TrackerClientOptions {
  /** Per-request timeout; default: the session's. */
  timeoutMs?: number;
}

// ---------- result parsing (pure: unit-tested with the documented vectors) ----------

function parseMessageJson(message: string, cmd: number): unknown {
  try {
    return JSON.parse(message) as unknown;
  } catch {
    throw new TrackerError('BAD_RESPONSE', `the answer to cmd ${cmd} is not JSON`, cmd);
  }
}

/** Validates a verified result message with a schema; violations are BAD_RESPONSE. */
export function parseResult<T extends z.ZodType>(schema: T, message: string, cmd: number): z.output<T> {
  const r = schema.safeParse(parseMessageJson(message, cmd));
  if (r.success) return r.data;
  const issues = r.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  throw new TrackerError('BAD_RESPONSE', `the answer to cmd ${cmd} is invalid: ${issues}`, cmd);
}

export function parseAddressState(message: string, cmd: number, expectedAddress?: string): AddressState {
  const state = parseResult(addressStateResult, message, cmd);
  if (expectedAddress !== undefined && state.address !== expectedAddress) {
    throw new TrackerError(
      'BAD_RESPONSE',
      `asked for ${expectedAddress}, the tracker answered ${state.address}`,
      cmd,
    );
  }
  return state;
}

export function parseTransactionsPage(message: string): TransactionsPage {
  const r = parseResult(firstTransactionsResult, message, Cmd.GET_FIRST_TRANSACTIONS);
  return { meta: r._meta, items: r.items };
}

// ---------- the client ----------

export class TrackerClient {
  constructor(
    readonly session: TrackerSession,
    private readonly opts: TrackerClientOptions = {},
  ) {}

  private send(cmd: number, payload: unknown, retry: RequestOptions['retry']): Promise<TrackerResponse> {
    return this.session.request(cmd, payload, {
      retry,
      ...(this.opts.timeoutMs === undefined ? {} : { timeoutMs: this.opts.timeoutMs }),
    });
  }

  /** cmd 1 over the open session: the tracker's key (verified against the pinned key). */
  async handshake(signer: Signer): Promise<string> {
    const r = await this.send(Cmd.HANDSHAKE, signPemPayload(signer), 'safe');
    return r.message;
  }

  /** cmd 4: a new funded spend address. Never repeated on its own (CONNECTION_LOST = outcome unknown). */
  async openSpend(signer: Signer): Promise<AddressState> {
    const r = await this.send(Cmd.OPEN_SPEND, signPemPayload(signer), 'never');
    return parseAddressState(r.message, Cmd.OPEN_SPEND);
  }

  /** cmd 2: a new income address. Never repeated on its own. */
  async openIncome(signer: Signer): Promise<AddressState> {
    const r = await this.send(Cmd.OPEN_INCOME, signPemPayload(signer), 'never');
    return parseAddressState(r.message, Cmd.OPEN_INCOME);
  }

  /** cmd 8 with both signatures; safe to repeat (an identical contract answers success). */
  async openTransfer(payload: DoubleSignedPayload): Promise<OpenTransferResult> {
    const r = await this.send(Cmd.OPEN_TRANSFER, payload, 'safe');
    return parseResult(openTransferResult, r.message, Cmd.OPEN_TRANSFER);
  }

  /** cmd 16 with both signatures; safe to repeat (an identical close answers success). */
  async closeTransfer(payload: DoubleSignedPayload): Promise<{ pk: string }> {
    const r = await this.send(Cmd.CLOSE_TRANSFER, payload, 'safe');
    const { pk } = parseResult(pkResult, r.message, Cmd.CLOSE_TRANSFER);
    return { pk };
  }

  /** cmd 64 (see closeAddress). */
  closeSpend(signer: Signer, address: string): Promise<CloseAddressOutcome> {
    return this.closeAddress(Cmd.CLOSE_SPEND, Cmd.GET_SPEND_STATE, signer, address);
  }

  /** cmd 32 (see closeAddress). */
  closeIncome(signer: Signer, address: string): Promise<CloseAddressOutcome> {
    return this.closeAddress(Cmd.CLOSE_INCOME, Cmd.GET_INCOME_STATE, signer, address);
  }

  /** cmd 128. */
  async incomeState(signer: Signer, address: string): Promise<AddressState> {
    return this.addressState(Cmd.GET_INCOME_STATE, signer, address);
  }

  /** cmd 256. */
  async spendState(signer: Signer, address: string): Promise<AddressState> {
    return this.addressState(Cmd.GET_SPEND_STATE, signer, address);
  }

  /** cmd 512: state 1 = no such channel, 2 = open, 4 = closed. */
  async channelState(signer: Signer, channelId: string): Promise<ChannelStateResult> {
    const r = await this.send(Cmd.GET_TRANSFER_STATE, signJsonPayload(signer, { channelId }), 'safe');
    const result = parseResult(channelStateResult, r.message, Cmd.GET_TRANSFER_STATE);
    if (result.channelId !== channelId) {
      throw new TrackerError(
        'BAD_RESPONSE',
        `asked for channel ${channelId}, the tracker answered ${result.channelId}`,
        Cmd.GET_TRANSFER_STATE,
      );
    }
    return result;
  }

  /** cmd 8192. */
  async commonState(signer: Signer, address: string): Promise<CommonState> {
    const r = await this.send(Cmd.GET_COMMON_STATE, signJsonPayload(signer, { address }), 'safe');
    const result = parseResult(commonStateResult, r.message, Cmd.GET_COMMON_STATE);
    if (result.address !== address) {
      throw new TrackerError(
        'BAD_RESPONSE',
        `asked for ${address}, the tracker answered ${result.address}`,
        Cmd.GET_COMMON_STATE,
      );
    }
    return result;
  }

  /** cmd 1024: opens a cursor over the signer's transactions and returns the requested page. */
  async firstTransactions(signer: Signer, query: FirstTransactionsQuery): Promise<TransactionsPage> {
    const fields: Record<string, unknown> = { limits: { pageSize: query.pageSize, page: query.page } };
    if (query.order !== undefined) fields.order = query.order;
    if (query.fields !== undefined) fields.fields = query.fields;
    const r = await this.send(Cmd.GET_FIRST_TRANSACTIONS, signJsonPayload(signer, fields), 'safe');
    return parseTransactionsPage(r.message);
  }

  /** cmd 2048: another page of a cursor (renews it). */
  async nextTransactions(signer: Signer, cursorId: string, page: number): Promise<{ items: unknown[] }> {
    const r = await this.send(Cmd.GET_NEXT_TRANSACTIONS, signJsonPayload(signer, { cursorId, page }), 'safe');
    const { items } = parseResult(nextTransactionsResult, r.message, Cmd.GET_NEXT_TRANSACTIONS);
    return { items };
  }

  /** cmd 4096: keeps a cursor alive. */
  async touchCursor(signer: Signer, cursorId: string): Promise<void> {
    const r = await this.send(Cmd.UPDATE_TRANSACTIONS_CURSOR, signJsonPayload(signer, { cursorId }), 'safe');
    parseResult(pkResult, r.message, Cmd.UPDATE_TRANSACTIONS_CURSOR);
  }

  // ---------- internals ----------

  private async addressState(cmd: number, signer: Signer, address: string): Promise<AddressState> {
    const r = await this.send(cmd, signJsonPayload(signer, { address }), 'safe');
    return parseAddressState(r.message, cmd, address);
  }

  /**
   * cmd 32/64, never repeated on its own. SPEC §7: when the connection drops while the close is in
   * flight, wait until online again and read the address: ADDRESS_CLOSED means the close happened
   * (resolves with closedWhileDisconnected); still open rejects with the CONNECTION_LOST so the
   * caller decides whether to close again; no answer at all rejects with CONNECTION_LOST too.
   */
  private async closeAddress(
    cmd: number,
    stateCmd: number,
    signer: Signer,
    address: string,
  ): Promise<CloseAddressOutcome> {
    let lost: TrackerError;
    try {
      const r = await this.send(cmd, signJsonPayload(signer, { address }), 'never');
      const { state } = parseResult(closeAddressResult, r.message, cmd);
      return { closedWhileDisconnected: false, state };
    } catch (e) {
      if (!isTrackerError(e, 'CONNECTION_LOST')) throw e;
      lost = e;
    }
    try {
      await this.session.waitOnline(this.opts.timeoutMs);
      await this.addressState(stateCmd, signer, address);
    } catch (e) {
      if (isTrackerError(e, 'ADDRESS_CLOSED')) return { closedWhileDisconnected: true, state: null };
      throw new TrackerError(
        'CONNECTION_LOST',
        `${lost.message}; checking the address afterwards failed (${(e as Error).message})`,
        cmd,
      );
    }
    throw new TrackerError(
      'CONNECTION_LOST',
      'the connection was lost during the close and the address is still open: the close has not happened',
      cmd,
    );
  }
}
