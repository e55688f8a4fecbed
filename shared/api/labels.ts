/**
 * Labels: the owner's own names for transactions, addresses and channels (issue 9 §3), exported and
 * imported as JSON lines in the shape of BIP-329 wallet labels. Pure: safe for the renderer.
 *
 * One object per line: `{"type": "tx" | "addr" | "channel", "ref": "<id>", "label": "<text>"}`.
 * `tx` (a transaction id) and `addr` (an address) are BIP-329's own types; `channel` (a transfer
 * channel id) is this app's. Files of other wallets may hold BIP-329 types this app has no use for
 * (`pubkey`, `input`, `output`, `xpub`): their lines are skipped, not refused.
 */
import { z } from 'zod';

export const LABEL_TYPES = ['tx', 'addr', 'channel'] as const;
/** BIP-329 types this app reads past (valid in a file, nothing to label here). */
export const FOREIGN_LABEL_TYPES = ['pubkey', 'input', 'output', 'xpub'] as const;

/** BIP-329: "labels longer than 255 characters may be truncated"; we refuse them instead. */
export const MAX_LABEL_LENGTH = 255;
export const MAX_LABEL_REF_LENGTH = 256;
/**
 * Largest labels file the app reads (about 5,000 labels): the browser bridge carries at most 1 MiB
 * per message, the file's text included.
 */
export const LABELS_FILE_MAX_BYTES = 512 * 1024;

// eslint-disable-next-line no-control-regex
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

export const labelType = z.enum(LABEL_TYPES);
export type LabelType = z.infer<typeof labelType>;

export const labelRef = z
  .string()
  .min(1)
  .max(MAX_LABEL_REF_LENGTH)
  .regex(NO_CONTROL, 'no control characters')
  .refine((s) => s.trim() === s, 'no spaces at either end');

/** A label as stored and shown: trimmed, one line, 1–255 characters. */
export const labelText = z
  .string()
  .trim()
  .min(1, 'a label cannot be empty')
  .max(MAX_LABEL_LENGTH, `at most ${MAX_LABEL_LENGTH} characters`)
  .regex(NO_CONTROL, 'one line, no control characters');

export const label = z.object({ type: labelType, ref: labelRef, label: labelText });
export type Label = z.infer<typeof label>;

/** Why a line of an imported file was refused: an i18n key (labels.problem.<code>) and its number. */
export const labelLineProblem = z.object({
  line: z.number().int().positive(),
  code: z.enum(['json', 'object', 'type', 'ref', 'label', 'tooLong']),
});
export type LabelLineProblem = z.infer<typeof labelLineProblem>;

/**
 * What an import did. A file with any bad line changes nothing (`applied: false`, the first bad lines
 * in `problems`, all of them counted in `badLines`); a good file is merged: each line sets its
 * label, labels the file does not mention stay.
 */
export const labelImportResult = z.object({
  applied: z.boolean(),
  added: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  /** Lines of BIP-329 types this app does not use, and blank lines. */
  skipped: z.number().int(),
  badLines: z.number().int(),
  problems: z.array(labelLineProblem),
});
export type LabelImportResult = z.infer<typeof labelImportResult>;
