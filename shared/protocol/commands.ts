/** Command codes and names of the wallet-tracker protocol (SPEC §4). Pure: safe for the renderer. */

export const Cmd = {
  HANDSHAKE: 1,
  OPEN_INCOME: 2,
  OPEN_SPEND: 4,
  OPEN_TRANSFER: 8,
  CLOSE_TRANSFER: 16,
  CLOSE_INCOME: 32,
  CLOSE_SPEND: 64,
  GET_INCOME_STATE: 128,
  GET_SPEND_STATE: 256,
  GET_TRANSFER_STATE: 512,
  GET_FIRST_TRANSACTIONS: 1024,
  GET_NEXT_TRANSACTIONS: 2048,
  UPDATE_TRANSACTIONS_CURSOR: 4096,
  GET_COMMON_STATE: 8192,
} as const;

export type CmdCode = (typeof Cmd)[keyof typeof Cmd];

export const CMD_NAMES: Readonly<Record<CmdCode, string>> = {
  1: 'handshake',
  2: 'open income channel',
  4: 'open spend channel',
  8: 'open transfer channel',
  16: 'close transfer channel',
  32: 'close income channel',
  64: 'close spend channel',
  128: 'get income address state',
  256: 'get spend address state',
  512: 'get transfer channel state',
  1024: 'get first transactions',
  2048: 'get next transactions',
  4096: 'update transactions cursor',
  8192: 'get common address state',
};

export const ALL_CMDS = Object.values(Cmd) as CmdCode[];

export function isCmdCode(n: unknown): n is CmdCode {
  return typeof n === 'number' && (ALL_CMDS as number[]).includes(n);
}

/** Commands whose message is the signer's PEM itself rather than a JSON object. */
export const PEM_MESSAGE_CMDS: readonly CmdCode[] = [Cmd.HANDSHAKE, Cmd.OPEN_INCOME, Cmd.OPEN_SPEND];

/** Commands signed by payer and payee. */
export const TWO_SIGNER_CMDS: readonly CmdCode[] = [Cmd.OPEN_TRANSFER, Cmd.CLOSE_TRANSFER];

/** Transaction types of history items (note: cmd 32 closes income but tx_type 32 is CLOSE_SPEND). */
export const TxType = {
  INIT: 1,
  OPEN_INCOME: 2,
  OPEN_SPEND: 4,
  OPEN_TRANSFER: 8,
  CLOSE_TRANSFER: 16,
  CLOSE_SPEND: 32,
  CLOSE_INCOME: 64,
  FINANCIAL: 128,
} as const;

export type TxTypeCode = (typeof TxType)[keyof typeof TxType];

export const TX_TYPE_NAMES: Readonly<Record<TxTypeCode, string>> = {
  1: 'INIT',
  2: 'OPEN_INCOME',
  4: 'OPEN_SPEND',
  8: 'OPEN_TRANSFER',
  16: 'CLOSE_TRANSFER',
  32: 'CLOSE_SPEND',
  64: 'CLOSE_INCOME',
  128: 'FINANCIAL',
};

export const ALL_TX_TYPES = Object.values(TxType) as TxTypeCode[];

/** Transfer channel states answered by cmd 512. */
export const ChannelState = { NOT_FOUND: 1, OPEN: 2, CLOSED: 4 } as const;
export type ChannelStateCode = (typeof ChannelState)[keyof typeof ChannelState];

/** Transaction status: the only one the tracker writes. */
export const TX_STATUS_EXECUTED = 1;
