/** Opening and closing spend and income addresses (cmd 2/4 and 32/64): written to the tracker first. */
import type { AddressView } from '../../../shared/api/models';
import { checkAddress } from '../../../shared/crypto/address';
import { AppError } from '../api/backend';
import { addressViewOf } from './address-states';
import type { Reconcile } from './ports';
import type { WalletContext } from './wallet-context';

export class AddressBook {
  constructor(
    private readonly ctx: WalletContext,
    private readonly reconciler: Reconcile,
  ) {}

  async open(identityId: string, kind: 'spend' | 'income'): Promise<AddressView> {
    const run = this.ctx.begin(identityId);
    const state = await run.conn.api.openAddress(kind, run.signer);
    const view = addressViewOf(identityId, kind, state, undefined, this.ctx.now());
    this.ctx.store.upsertAddresses(run.scope, [view]);
    this.ctx.emitAddresses(identityId);
    await this.reconciler.reconcile(identityId, 'write');
    return view;
  }

  async close(identityId: string, address: string): Promise<AddressView> {
    const check = checkAddress(address);
    if (!check.valid || (check.kind !== 'spend' && check.kind !== 'income')) {
      throw new AppError('BAD_ADDRESS', 'not a spend or income address');
    }
    const kind = check.kind;
    const run = this.ctx.begin(identityId);
    const prev = this.ctx.knownAddress(identityId, address);
    const before = await run.conn.api.closeAddress(kind, run.signer, address);
    const now = this.ctx.now();
    const closed: AddressView = {
      ...(prev ??
        addressViewOf(
          identityId,
          kind,
          {
            address,
            amount: '0',
            quantumVolume: '0',
            volume: '0',
            limitAmount: '0',
            limitQuantumVolume: '0',
            priceAmount: '0',
            pricePower: 0,
            timeLock: 0,
          },
          undefined,
          now,
        )),
      ...(before
        ? { amount: before.amount, quantumVolume: before.quantumVolume, volume: before.volume }
        : {}),
      status: 'closed',
      // This app closed it: it saw the close happen.
      closedAt: now,
      readAt: now,
    };
    this.ctx.store.upsertAddresses(run.scope, [closed]);
    this.ctx.emitAddresses(identityId);
    await this.reconciler.reconcile(identityId, 'write');
    return closed;
  }
}
