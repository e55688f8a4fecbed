/**
 * Labels as JSON lines (BIP-329 shape, see shared/api/labels.ts): writing a file, and reading one
 * line by line with every line checked before anything is used. Pure.
 */
import { z } from 'zod';
import {
  FOREIGN_LABEL_TYPES,
  labelRef,
  labelText,
  labelType,
  type Label,
  type LabelLineProblem,
} from '../../../shared/api/labels';

/** A line longer than this is refused without parsing it (a BIP-329 record is far shorter). */
const MAX_LINE_CHARS = 4096;
/** Problems listed per refused file (all of them are counted). */
const MAX_PROBLEMS = 50;

const FOREIGN: ReadonlySet<string> = new Set(FOREIGN_LABEL_TYPES);

/** One line: BIP-329 allows more fields (origin, spendable…): they are read past. */
const line = z.object({ type: z.string(), ref: z.unknown().optional(), label: z.unknown().optional() });

/** The file: one `{"type","ref","label"}` object per line, LF line ends, sorted by type and ref. */
export function labelsToJsonl(labels: readonly Label[]): string {
  return labels.map((l) => `${JSON.stringify({ type: l.type, ref: l.ref, label: l.label })}\n`).join('');
}

export interface ParsedLabelLines {
  labels: Label[];
  /** Blank lines and lines of BIP-329 types this app does not label. */
  skipped: number;
  badLines: number;
  problems: LabelLineProblem[];
}

function lineProblem(text: string): LabelLineProblem['code'] | Label | null {
  if (text.length > MAX_LINE_CHARS) return 'tooLong';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'json';
  }
  const shape = line.safeParse(value);
  if (!shape.success || value === null || Array.isArray(value)) return 'object';
  const { type, ref, label } = shape.data;
  if (FOREIGN.has(type)) return null;
  const t = labelType.safeParse(type);
  if (!t.success) return 'type';
  const r = labelRef.safeParse(ref);
  if (!r.success) return 'ref';
  const l = labelText.safeParse(label);
  if (!l.success) return 'label';
  return { type: t.data, ref: r.data, label: l.data };
}

/**
 * Reads a JSON-lines file. Every line is checked; bad lines are reported by number (1-based) and
 * kind. Within a file a later line for the same (type, ref) replaces an earlier one.
 */
export function parseLabelLines(text: string): ParsedLabelLines {
  const byKey = new Map<string, Label>();
  const problems: LabelLineProblem[] = [];
  let skipped = 0;
  let badLines = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    if (raw.trim() === '') {
      skipped++;
      return;
    }
    const r = lineProblem(raw);
    if (r === null) skipped++;
    else if (typeof r === 'string') {
      badLines++;
      if (problems.length < MAX_PROBLEMS) problems.push({ line: i + 1, code: r });
    } else {
      const key = `${r.type}\n${r.ref}`;
      byKey.delete(key);
      byKey.set(key, r);
    }
  });
  return { labels: [...byKey.values()], skipped, badLines, problems };
}
