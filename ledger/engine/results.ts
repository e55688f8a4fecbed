/**
 * What each command answers, typed as the input of the schemas the app parses it with
 * (shared/protocol/schemas.ts): a field renamed or added on either side fails the type check.
 */
import type { z } from 'zod';
import { Cmd } from '../../shared/protocol/commands';
import type {
  addressStateObject,
  channelStateResult,
  closeAddressResult,
  commonStateResult,
  firstTransactionsResult,
  openTransferObject,
  pkResult,
  transactionItemFields,
} from '../../shared/protocol/schemas';

export type AddressStateOut = z.input<typeof addressStateObject>;
export type TransactionItemOut = z.input<typeof transactionItemFields>;
export type CommonStateOut = z.input<typeof commonStateResult>;
export type PkOut = z.input<typeof pkResult>;
export type CloseAddressOut = z.input<typeof closeAddressResult>;

export interface CommandResults {
  [Cmd.HANDSHAKE]: string;
  [Cmd.OPEN_INCOME]: AddressStateOut;
  [Cmd.OPEN_SPEND]: AddressStateOut;
  [Cmd.OPEN_TRANSFER]: z.input<typeof openTransferObject>;
  [Cmd.CLOSE_TRANSFER]: PkOut;
  [Cmd.CLOSE_INCOME]: CloseAddressOut;
  [Cmd.CLOSE_SPEND]: CloseAddressOut;
  [Cmd.GET_INCOME_STATE]: AddressStateOut;
  [Cmd.GET_SPEND_STATE]: AddressStateOut;
  [Cmd.GET_TRANSFER_STATE]: z.input<typeof channelStateResult>;
  [Cmd.GET_FIRST_TRANSACTIONS]: z.input<typeof firstTransactionsResult> & { items: TransactionItemOut[] };
  [Cmd.GET_NEXT_TRANSACTIONS]: { items: TransactionItemOut[] };
  [Cmd.UPDATE_TRANSACTIONS_CURSOR]: PkOut;
  [Cmd.GET_COMMON_STATE]: CommonStateOut;
}
