/** The CSV export as a pure module: every text column is safe to open in a spreadsheet. */
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, csvLines, neutralizeFormula } from '../../electron/services/history/csv-export';
import type { ExportedItem } from '../../electron/services/history/transaction-store';
import { parseCsv } from '../helpers/csv';

function item(over: Partial<ExportedItem> = {}): ExportedItem {
  return {
    txId: 'tx',
    parentTxId: '',
    txType: 16,
    from: '0x0cfrom',
    to: '0x0dto',
    amount: '18446744073709551615',
    volume: '1048576',
    quantumCount: '1',
    contractId: 'ch-1',
    priceAmount: '1000',
    pricePower: 20,
    plannedQuantumCount: '4',
    timelock: Date.UTC(2025, 0, 1, 0, 5),
    timestamp: Date.UTC(2025, 0, 1),
    status: 1,
    signature: 'valid',
    version: '1',
    ...over,
  };
}

const table = (items: ExportedItem[], neutralizeFormulas?: boolean) =>
  parseCsv([...csvLines(items, neutralizeFormulas === undefined ? {} : { neutralizeFormulas })].join(''));

/** Text the tracker or a counterparty chooses, each a formula a spreadsheet would run. */
const HOSTILE: Partial<ExportedItem> = {
  txId: '=1+1',
  parentTxId: '+SUM(A1:A9)',
  from: '-2+3+cmd|" /C calc"!A0',
  to: '@SUM(1,1)',
  contractId: '=HYPERLINK("http://x","y")',
  version: '\t=1',
  signature: '\r=1' as ExportedItem['signature'],
};
const TEXT_COLUMNS = ['tx_id', 'parent_tx_id', 'from', 'to', 'contract_id', 'version', 'signature'] as const;

describe('CSV export', () => {
  it('writes the header and one CRLF line per item, amounts exact', () => {
    const lines = [...csvLines([item(), item({ txId: 'b' })])];
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.endsWith('\r\n'))).toBe(true);
    const [header, row] = table([item()]);
    expect(header).toEqual([...CSV_HEADER]);
    const col = (name: (typeof CSV_HEADER)[number]) => row![CSV_HEADER.indexOf(name)];
    expect(col('amount')).toBe('18446744073709551615');
    expect(col('tx_type_name')).toBe('CLOSE_TRANSFER');
    expect(col('timestamp_iso')).toBe('2025-01-01T00:00:00.000Z');
    expect(col('timelock_ms')).toBe(String(Date.UTC(2025, 0, 1, 0, 5)));
  });

  it('neutralises a formula in every text column, not only the channel id', () => {
    const [header, row] = table([item(HOSTILE)]);
    for (const name of TEXT_COLUMNS) {
      const value = row![header!.indexOf(name)]!;
      expect(value, name).toMatch(/^'/);
      expect(value.slice(1), name).toBe(HOSTILE[toField(name)]);
    }
    // Numbers stay numbers.
    expect(row![header!.indexOf('price_quantum_power')]).toBe('20');
  });

  it('keeps values verbatim when asked to (a machine reads the file)', () => {
    const [header, row] = table([item(HOSTILE)], false);
    expect(row![header!.indexOf('contract_id')]).toBe(HOSTILE.contractId);
    expect(row![header!.indexOf('from')]).toBe(HOSTILE.from);
  });

  it('leaves harmless text alone and quotes what RFC 4180 requires', () => {
    expect(neutralizeFormula('0x0cabc')).toBe('0x0cabc');
    expect(neutralizeFormula('a=b')).toBe('a=b');
    const [header, row] = table([item({ contractId: 'with,comma "and" quotes\r\nline' })]);
    expect(row![header!.indexOf('contract_id')]).toBe('with,comma "and" quotes\r\nline');
  });

  it('reads its items lazily, one at a time', () => {
    let pulled = 0;
    function* source(): Generator<ExportedItem> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield item({ txId: `t${i}` });
      }
    }
    const lines = csvLines(source());
    lines.next(); // header
    lines.next();
    expect(pulled).toBe(1);
  });
});

function toField(column: (typeof TEXT_COLUMNS)[number]): keyof ExportedItem {
  const map = {
    tx_id: 'txId',
    parent_tx_id: 'parentTxId',
    from: 'from',
    to: 'to',
    contract_id: 'contractId',
    version: 'version',
    signature: 'signature',
  } as const;
  return map[column];
}
