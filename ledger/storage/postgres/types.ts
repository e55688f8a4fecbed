/**
 * How node-postgres turns column values into JavaScript for the tracker: BIGINT (times, sequence
 * numbers, counts) as numbers, which they always fit exactly; NUMERIC (amounts) stays a decimal
 * string. The same rows as the SQLite adapter's, so the engine sees one shape.
 */
import pg from 'pg';

const INT8_OID = 20;

function int8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`BIGINT ${text} is beyond the exact range of a number`);
  return n;
}

export const trackerTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return int8;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;
