/** The tracker's command engine: verifies a payload, runs the command in one database transaction. */
import { ProtocolError } from '../../shared/protocol/errors';
import { Cmd, PEM_MESSAGE_CMDS, isCmdCode, type CmdCode } from '../../shared/protocol/commands';
import { addressMessage, channelIdMessage, parseWith } from '../../shared/protocol/schemas';
import { verifyDoublePayload, verifySinglePayload } from '../../shared/crypto/signed-payload';
import { checkAddress, commonAddressOf, commonAddressesOf } from '../../shared/crypto/address';
import { signMessage } from '../../shared/crypto/sign';
import { TxType } from '../../shared/protocol/commands';
import { openDatabase, type Db } from '../db/open';
import type { LedgerConfig } from '../config';
import { loadOrCreateTrackerKey } from '../tracker-key';
import { ownerIdOf, type LedgerContext } from './context';
import { Store } from './store';
import { TxWriter } from './transactions';
import { Addresses } from './addresses';
import { Transfers } from './transfers';
import { History } from './history';
import { commonStateResult, findCommon } from './common';
import { parsePublicKey } from '../../shared/crypto/keys';
import { OPEN } from './rows';

export interface CommandOutcome {
  /** The signed message: the tracker PEM for cmd 1, else the JSON result. */
  message: string;
  sign: string;
}

export interface ExpiryOutcome {
  channels: number;
  addresses: number;
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

export class Ledger {
  readonly ctx: LedgerContext;
  readonly store: Store;
  private readonly addresses: Addresses;
  private readonly transfers: Transfers;
  private readonly history: History;

  constructor(cfg: LedgerConfig, clock: () => number = Date.now) {
    const db = openDatabase(cfg.dbPath);
    try {
      const key = loadOrCreateTrackerKey(cfg.keyPath);
      this.ctx = {
        db,
        cfg,
        privateKey: key.privateKey,
        trackerPem: key.publicPem,
        trackerAddress: commonAddressOf(key.publicPem),
        now: monotonicClock(clock),
      };
      this.store = new Store(db);
      const tx = new TxWriter(this.ctx);
      this.addresses = new Addresses(this.ctx, this.store, tx);
      this.transfers = new Transfers(this.ctx, this.store, tx, this.addresses);
      this.history = new History(this.ctx);
      this.initialise(tx);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  get db(): Db {
    return this.ctx.db;
  }

  get trackerPem(): string {
    return this.ctx.trackerPem;
  }

  /** First start: the tracker wallet and TX_INIT, once. Later starts: the key must be the same. */
  private initialise(tx: TxWriter): void {
    const { db, trackerPem, trackerAddress, cfg } = this.ctx;
    const recorded = db.prepare(`SELECT value FROM meta WHERE key = 'tracker_pk'`).get() as
      { value: string } | undefined;
    if (recorded) {
      if (recorded.value !== trackerPem) {
        throw new Error(`the key file ${cfg.keyPath} is not the key this database was created with`);
      }
      return;
    }
    db.transaction(() => {
      const owner = ownerIdOf(parsePublicKey(trackerPem));
      const initTx = tx.write({
        type: TxType.INIT,
        from: trackerAddress,
        to: trackerAddress,
        amount: cfg.amountInitial,
        parties: [owner],
      });
      this.store.insertAddress.run({
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
      db.prepare(`INSERT INTO meta (key, value) VALUES ('tracker_pk', ?), ('initial_amount', ?)`).run(
        trackerPem,
        cfg.amountInitial.toString(),
      );
    })();
  }

  /** Runs one command. Throws ProtocolError for every refusal; nothing is changed then. */
  execute(cmd: number, payload: unknown): CommandOutcome {
    if (!isCmdCode(cmd)) throw new ProtocolError('UNKNOWN_COMMAND', `unknown command ${cmd}`);
    const result = this.run(cmd, payload);
    const message = typeof result === 'string' ? result : JSON.stringify(result);
    return { message, sign: signMessage(message, this.ctx.privateKey) };
  }

  private run(cmd: CmdCode, payload: unknown): string | Record<string, unknown> {
    const { db } = this.ctx;
    if (cmd === Cmd.OPEN_TRANSFER || cmd === Cmd.CLOSE_TRANSFER) {
      const v = verifyDoublePayload(payload);
      return db.transaction(() =>
        cmd === Cmd.OPEN_TRANSFER ? this.transfers.open(v) : this.transfers.close(v),
      )();
    }
    const v = verifySinglePayload(payload, PEM_MESSAGE_CMDS.includes(cmd));
    const body = v.body ?? {};
    const owner = ownerIdOf(v.signer);
    switch (cmd) {
      case Cmd.HANDSHAKE:
        return this.ctx.trackerPem;
      case Cmd.OPEN_INCOME:
        return db.transaction(() => this.addresses.open('income', v.signer, v.payload.pk))();
      case Cmd.OPEN_SPEND:
        return db.transaction(() => this.addresses.open('spend', v.signer, v.payload.pk))();
      case Cmd.CLOSE_INCOME: {
        const m = parseWith(addressMessage, body, 'message');
        return db.transaction(() => this.addresses.close('income', v.signer, m.address))();
      }
      case Cmd.CLOSE_SPEND: {
        const m = parseWith(addressMessage, body, 'message');
        return db.transaction(() => this.addresses.close('spend', v.signer, m.address))();
      }
      // Single-statement reads: one SELECT is its own (implicit) transaction.
      case Cmd.GET_INCOME_STATE: {
        const m = parseWith(addressMessage, body, 'message');
        return this.addresses.state('income', m.address);
      }
      case Cmd.GET_SPEND_STATE: {
        const m = parseWith(addressMessage, body, 'message');
        return this.addresses.state('spend', m.address);
      }
      case Cmd.GET_TRANSFER_STATE: {
        const m = parseWith(channelIdMessage, body, 'message');
        return this.transfers.state(m.channelId);
      }
      case Cmd.GET_FIRST_TRANSACTIONS:
        return db.transaction(() => this.history.first(owner, body))();
      case Cmd.GET_NEXT_TRANSACTIONS:
        return db.transaction(() => this.history.next(owner, body))();
      case Cmd.UPDATE_TRANSACTIONS_CURSOR:
        return this.history.touch(owner, body);
      case Cmd.GET_COMMON_STATE: {
        const m = parseWith(addressMessage, body, 'message');
        const check = checkAddress(m.address, 'common');
        if (!check.valid)
          throw new ProtocolError('BAD_ADDRESS', `common address is invalid: ${check.reason}`);
        return db.transaction(() => {
          let row = findCommon(this.store, m.address);
          if (!row && commonAddressesOf(v.payload.pk).includes(m.address)) {
            row = this.store.getCommonByOwner.get(owner);
          }
          // Every key has a common address; one the tracker has not seen yet holds nothing.
          return commonStateResult(m.address, row, this.ctx.trackerPem);
        })();
      }
    }
  }

  /** Settles expired channels at zero, then closes expired addresses: one database transaction. */
  runExpiry(): ExpiryOutcome {
    return this.ctx.db.transaction(() => {
      const now = this.ctx.now();
      const channels = this.store.expiredChannels.all(now);
      for (const ch of channels) {
        this.transfers.settle(ch, { quantumCount: 0n, tokens: 0n, volume: 0n }, true);
      }
      const addresses = this.store.expiredAddresses.all(now);
      for (const row of addresses) this.addresses.settleAndClose(row);
      return { channels: channels.length, addresses: addresses.length };
    })();
  }

  close(): void {
    if (this.ctx.db.open) this.ctx.db.close();
  }
}
