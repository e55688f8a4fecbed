/**
 * Labels for the API (shared/api/labels.ts): set, clear and list them, and move them in and out as
 * BIP-329 JSON lines. Every change is announced (`labels.changed`) so that open screens show it
 * and history searches count again.
 *
 * For a wallet backup (issue 9 §2): `all()` gives every label, `replaceAll()` restores them.
 */
import type { Label, LabelImportResult, LabelType } from '../../../shared/api/labels';
import type { ApiEvents } from '../api/backend';
import { labelsToJsonl, parseLabelLines } from './label-lines';
import type { LabelStore } from './label-store';

export class Labels {
  constructor(
    private readonly store: LabelStore,
    private readonly events: ApiEvents,
  ) {
    store.onChange(() => this.events.emit('labels.changed', { count: this.store.count() }));
  }

  list(opts: { type?: LabelType; refs?: readonly string[] }): Label[] {
    return this.store.list(opts);
  }

  set(label: Label): Label {
    return this.store.set(label);
  }

  clear(type: LabelType, ref: string): boolean {
    return this.store.clear(type, ref);
  }

  /** Every label as a JSON-lines file. */
  exportFile(now = new Date()): { fileName: string; content: string } {
    return {
      fileName: `wallet-tracker-labels-${now.toISOString().slice(0, 10)}.jsonl`,
      content: labelsToJsonl(this.store.all()),
    };
  }

  /**
   * Reads a JSON-lines file. All or nothing: one bad line and nothing changes (the bad lines are
   * reported by number); a good file is merged into the labels (each line sets its label, the
   * others stay).
   */
  importFile(text: string): LabelImportResult {
    const parsed = parseLabelLines(text);
    const base = { skipped: parsed.skipped, badLines: parsed.badLines, problems: parsed.problems };
    if (parsed.badLines > 0) return { applied: false, added: 0, updated: 0, unchanged: 0, ...base };
    return { applied: true, ...this.store.merge(parsed.labels), ...base };
  }

  /** Every label (a wallet backup carries them). */
  all(): Label[] {
    return this.store.all();
  }

  /** Makes the labels exactly these (a wallet restore). */
  replaceAll(labels: readonly Label[]): void {
    this.store.replaceAll(labels);
  }
}
