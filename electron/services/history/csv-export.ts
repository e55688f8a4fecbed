/**
 * History as CSV (RFC 4180), over any iterator of items: a header line, CRLF line ends, amounts as
 * exact decimal strings, times as epoch ms and ISO 8601. Pure: the caller decides where lines go.
 */
import { TX_TYPE_NAMES, type TxTypeCode } from '../../../shared/protocol/commands';
import type { ExportedItem } from './transaction-store';

export const CSV_HEADER = [
  'tx_id',
  'parent_tx_id',
  'tx_type',
  'tx_type_name',
  'from',
  'to',
  'amount',
  'volume',
  'quantum_count',
  'contract_id',
  'price_amount',
  'price_quantum_power',
  'planned_quantum_count',
  'timelock_ms',
  'timelock_iso',
  'timestamp_ms',
  'timestamp_iso',
  'status',
  'version',
  'signature',
] as const;

export interface CsvOptions {
  /**
   * Prefix every text value starting with `=`, `+`, `-`, `@`, TAB or CR with `'`, so that spreadsheets
   * do not run it as a formula: ids, addresses and channel ids come from trackers and counterparties.
   * Default true; numbers are written as numbers.
   */
  neutralizeFormulas?: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** A text value a spreadsheet would evaluate, made inert with a leading apostrophe. */
export function neutralizeFormula(s: string): string {
  return FORMULA_START.test(s) ? `'${s}` : s;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function isoOf(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function fieldsOf(i: ExportedItem): (string | number)[] {
  return [
    i.txId,
    i.parentTxId,
    i.txType,
    TX_TYPE_NAMES[i.txType as TxTypeCode] ?? '',
    i.from,
    i.to,
    i.amount,
    i.volume,
    i.quantumCount,
    i.contractId,
    i.priceAmount,
    i.pricePower,
    i.plannedQuantumCount,
    i.timelock,
    isoOf(i.timelock),
    i.timestamp,
    isoOf(i.timestamp),
    i.status,
    i.version,
    i.signature,
  ];
}

/** The CSV lines (each ending in CRLF) of `items`: the header first, then one line per item. */
export function* csvLines(items: Iterable<ExportedItem>, opts: CsvOptions = {}): Generator<string> {
  const neutralize = opts.neutralizeFormulas ?? true;
  yield `${CSV_HEADER.join(',')}\r\n`;
  for (const item of items) {
    const fields = fieldsOf(item).map((v) =>
      neutralize && typeof v === 'string' ? neutralizeFormula(v) : v,
    );
    yield `${fields.map(csvField).join(',')}\r\n`;
  }
}
