/**
 * The tracker's command engine: checks a payload (keys first, then signatures on the crypto
 * workers), runs the command as one read or one write of the storage port, and signs the answer.
 */
import { availableParallelism } from 'node:os';
import { ProtocolError } from '../../shared/protocol/errors';
import { Cmd, PEM_MESSAGE_CMDS, isCmdCode, type CmdCode } from '../../shared/protocol/commands';
import { addressMessage, channelIdMessage, parseWith } from '../../shared/protocol/schemas';
import {
  verifyDoublePayload,
  verifySinglePayload,
  type SignatureCheck,
} from '../../shared/crypto/signed-payload';
import { checkAddress, commonAddressOf, commonAddressesOf } from '../../shared/crypto/address';
import { TxType } from '../../shared/protocol/commands';
import { parsePublicKey } from '../../shared/crypto/keys';
import type { LedgerConfig } from '../config';
import { loadOrCreateTrackerKey } from '../tracker-key';
import { InlineCrypto, type TrackerCrypto } from '../crypto/service';
import { WorkerCrypto } from '../crypto/pool';
import type { LedgerStorage, LedgerWrites, StorageObserver } from '../storage/port';
import { silentLogger, type Logger } from '../log';
import { openStorage } from '../storage/open';
import { ownerIdOf, type LedgerContext } from './context';
import { writeTx } from './transactions';
import { Addresses } from './addresses';
import { Transfers } from './transfers';
import { History } from './history';
import { commonStateResult, findCommon } from './common';
import { ItemSigner } from './item-signer';
import { OPEN, type NewTxRow } from './rows';
import type { CommandResults } from './results';

export interface CommandOutcome {
  /** The signed message: the tracker PEM for cmd 1, else the JSON result. */
  message: string;
  sign: string;
}

export interface ExpiryOutcome {
  channels: number;
  addresses: number;
}

/** An answer whose signature is being made (started inside a write, before its commit). */
interface Signing {
  message: string;
  sign: Promise<string>;
}

export interface LedgerOptions {
  /** The clock (tests inject one); wrapped so that it never runs backwards. */
  clock?: () => number;
  /** Crypto worker threads; 0 signs and verifies on the calling thread. Default: the core count. */
  workers?: number;
  /** Told about every database commit (metrics). */
  observer?: StorageObserver;
  /** Where background failures (item signing) are reported. */
  log?: Logger;
}

/**
 * The writes of one run of a command, recording the transactions it inserts: the run that commits
 * hands them to the item signer (an adapter may run a command more than once).
 */
function recording(w: LedgerWrites, rows: NewTxRow[]): LedgerWrites {
  return new Proxy(w, {
    get(target, prop) {
      if (prop === 'insertTransaction') {
        return (row: NewTxRow, parties: string[]) => {
          rows.push(row);
          return target.insertTransaction(row, parties);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A clock that never runs backwards, so that insertion order is time order. */
function monotonicClock(source: () => number): () => number {
  let last = 0;
  return () => {
    const t = source();
    last = t > last ? t : last;
    return last;
  };
}

export function defaultWorkerCount(): number {
  return availableParallelism();
}

export class Ledger {
  private readonly addresses: Addresses;
  private readonly transfers: Transfers;
  private readonly history: History;
  private readonly check: SignatureCheck;
  readonly signer: ItemSigner;

  private constructor(
    readonly ctx: LedgerContext,
    readonly storage: LedgerStorage,
    log: Logger,
  ) {
    this.signer = new ItemSigner(ctx, storage, log);
    this.addresses = new Addresses(ctx);
    this.transfers = new Transfers(ctx, this.addresses);
    this.history = new History(ctx, storage, this.signer);
    this.check = (message, sign, key) => ctx.crypto.verify(message, sign, key);
  }

  /** Opens the database and the key (both created on first start) and writes TX_INIT once. */
  static async open(cfg: LedgerConfig, opts: LedgerOptions = {}): Promise<Ledger> {
    const key = loadOrCreateTrackerKey(cfg.keyPath);
    const workers = opts.workers ?? defaultWorkerCount();
    const crypto: TrackerCrypto =
      workers > 0 ? new WorkerCrypto(key.privateKey, workers) : new InlineCrypto(key.privateKey);
    const log = opts.log ?? silentLogger;
    let storage: LedgerStorage | undefined;
    try {
      storage = await openStorage(cfg, { observer: opts.observer, log });
      const ctx: LedgerContext = {
        cfg,
        crypto,
        trackerPem: key.publicPem,
        trackerAddress: commonAddressOf(key.publicPem),
        now: monotonicClock(opts.clock ?? Date.now),
      };
      const ledger = new Ledger(ctx, storage, log);
      await ledger.initialise();
      // Items a crash left unsigned (here or, with a shared database, on another node).
      ledger.signer.sweep();
      return ledger;
    } catch (e) {
      await storage?.close();
      await crypto.close();
      throw e;
    }
  }

  get trackerPem(): string {
    return this.ctx.trackerPem;
  }

  /**
   * First start: the tracker wallet and TX_INIT, once per database (nodes starting together on one
   * database race here; the loser's write finds the winner's record when it runs again). Later
   * starts: the key must be the same.
   */
  private async initialise(): Promise<void> {
    const { trackerPem, cfg } = this.ctx;
    const recorded =
      (await this.storage.read((r) => r.meta('tracker_pk'))) ??
      (await this.write(async (w) => {
        const found = await w.meta('tracker_pk');
        if (found !== undefined) return found;
        await this.createTrackerWallet(w);
        return trackerPem;
      }));
    if (recorded !== trackerPem) {
      throw new Error(`the key file ${cfg.keyPath} is not the key this database was created with`);
    }
  }

  private async createTrackerWallet(w: LedgerWrites): Promise<void> {
    const { trackerPem, trackerAddress, cfg } = this.ctx;
    const owner = ownerIdOf(parsePublicKey(trackerPem));
    const initTx = await writeTx(this.ctx, w, {
      type: TxType.INIT,
      from: trackerAddress,
      to: trackerAddress,
      amount: cfg.amountInitial,
      parties: [owner],
    });
    await w.insertAddress({
      address: trackerAddress,
      kind: 'tracker',
      owner_id: owner,
      owner_pk: trackerPem,
      status: OPEN,
      opened_at: this.ctx.now(),
      time_lock: Number.MAX_SAFE_INTEGER,
      amount: cfg.amountInitial.toString(),
      quantum_volume: '0',
      volume: '0',
      reserved: '0',
      planned_bytes: '0',
      price_amount: '0',
      price_power: 0,
      open_channels: 0,
      open_tx_id: initTx,
    });
    await w.setMeta('tracker_pk', trackerPem);
    await w.setMeta('initial_amount', cfg.amountInitial.toString());
  }

  /** Runs one command. Rejects with a ProtocolError for every refusal; nothing is changed then. */
  async execute(cmd: number, payload: unknown): Promise<CommandOutcome> {
    if (!isCmdCode(cmd)) throw new ProtocolError('UNKNOWN_COMMAND', `unknown command ${cmd}`);
    const answer = await this.run(cmd, payload);
    return { message: answer.message, sign: await answer.sign };
  }

  /** Starts signing a command's result (typed by the schema the app parses it with). */
  private answer<C extends CmdCode>(_cmd: C, result: CommandResults[C]): Signing {
    const message = typeof result === 'string' ? result : JSON.stringify(result);
    const sign = this.ctx.crypto.sign(message);
    // Awaited by execute(); unawaited only when the write failed to commit.
    sign.catch(() => undefined);
    return { message, sign };
  }

  /** One write of the storage; the transactions of the run that committed go to the item signer. */
  private async write<T>(work: (w: LedgerWrites) => Promise<T>): Promise<T> {
    let rows: NewTxRow[] = [];
    const value = await this.storage.write((w) => {
      rows = [];
      return work(recording(w, rows));
    });
    this.signer.committed(rows);
    return value;
  }

  private async run(cmd: CmdCode, payload: unknown): Promise<Signing> {
    const { storage } = this;
    if (cmd === Cmd.OPEN_TRANSFER || cmd === Cmd.CLOSE_TRANSFER) {
      const v = await verifyDoublePayload(payload, this.check);
      return cmd === Cmd.OPEN_TRANSFER
        ? this.write(async (w) => this.answer(Cmd.OPEN_TRANSFER, await this.transfers.open(w, v)))
        : this.write(async (w) => this.answer(Cmd.CLOSE_TRANSFER, await this.transfers.close(w, v)));
    }
    const v = await verifySinglePayload(payload, PEM_MESSAGE_CMDS.includes(cmd), this.check);
    const body = v.body ?? {};
    // Only the history and common-state commands need the signer's id (a hash): not computed otherwise.
    const owner = (): string => ownerIdOf(v.signer);
    switch (cmd) {
      case Cmd.HANDSHAKE:
        return this.answer(Cmd.HANDSHAKE, this.ctx.trackerPem);
      case Cmd.OPEN_INCOME:
        return this.write(async (w) =>
          this.answer(cmd, await this.addresses.open(w, 'income', v.signer, v.payload.pk)),
        );
      case Cmd.OPEN_SPEND:
        return this.write(async (w) =>
          this.answer(cmd, await this.addresses.open(w, 'spend', v.signer, v.payload.pk)),
        );
      case Cmd.CLOSE_INCOME: {
        const m = parseWith(addressMessage, body, 'message');
        return this.write(async (w) =>
          this.answer(cmd, await this.addresses.close(w, 'income', v.signer, m.address)),
        );
      }
      case Cmd.CLOSE_SPEND: {
        const m = parseWith(addressMessage, body, 'message');
        return this.write(async (w) =>
          this.answer(cmd, await this.addresses.close(w, 'spend', v.signer, m.address)),
        );
      }
      case Cmd.GET_INCOME_STATE: {
        const m = parseWith(addressMessage, body, 'message');
        return storage.read(async (r) =>
          this.answer(cmd, await this.addresses.state(r, 'income', m.address)),
        );
      }
      case Cmd.GET_SPEND_STATE: {
        const m = parseWith(addressMessage, body, 'message');
        return storage.read(async (r) => this.answer(cmd, await this.addresses.state(r, 'spend', m.address)));
      }
      case Cmd.GET_TRANSFER_STATE: {
        const m = parseWith(channelIdMessage, body, 'message');
        return storage.read(async (r) => this.answer(cmd, await this.transfers.state(r, m.channelId)));
      }
      case Cmd.GET_FIRST_TRANSACTIONS:
        return storage.read(async (r) => this.answer(cmd, await this.history.first(r, owner(), body)));
      case Cmd.GET_NEXT_TRANSACTIONS:
        return storage.read(async (r) => this.answer(cmd, await this.history.next(r, owner(), body)));
      case Cmd.UPDATE_TRANSACTIONS_CURSOR:
        return this.answer(cmd, await this.history.touch(owner(), body));
      case Cmd.GET_COMMON_STATE: {
        const m = parseWith(addressMessage, body, 'message');
        const check = checkAddress(m.address, 'common');
        if (!check.valid)
          throw new ProtocolError('BAD_ADDRESS', `common address is invalid: ${check.reason}`);
        return storage.read(async (r) => {
          let row = await findCommon(r, m.address);
          if (!row && commonAddressesOf(v.payload.pk).includes(m.address)) {
            row = await r.commonByOwner(owner());
          }
          // Every key has a common address; one the tracker has not seen yet holds nothing.
          return this.answer(cmd, commonStateResult(m.address, row, this.ctx.trackerPem));
        });
      }
    }
  }

  /** Settles expired channels at zero, then closes expired addresses: one database transaction. */
  runExpiry(): Promise<ExpiryOutcome> {
    return this.write(async (w) => {
      const now = this.ctx.now();
      const channels = await w.expiredChannels(now);
      for (const ch of channels) {
        await this.transfers.settle(w, ch, { quantumCount: 0n, tokens: 0n, volume: 0n }, true);
      }
      const addresses = await w.expiredAddresses(now);
      for (const row of addresses) await this.addresses.settleAndClose(w, row);
      return { channels: channels.length, addresses: addresses.length };
    });
  }

  /** Whether the database answers (a networked one may be gone; the node recovers when it returns). */
  async healthy(): Promise<boolean> {
    return this.storage.healthy ? this.storage.healthy() : true;
  }

  /** Live history cursors (metrics). */
  cursorCount(): Promise<number> {
    return this.storage.cursors.count(this.ctx.now());
  }

  /**
   * Finishes the writes already queued and signs the items already committed (a clean stop leaves
   * none unsigned), then closes the database and the crypto workers.
   */
  async close(): Promise<void> {
    await this.signer.idle();
    await this.signer.close();
    await this.storage.close();
    await this.ctx.crypto.close();
  }
}
