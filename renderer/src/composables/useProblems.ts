import { useI18n } from 'vue-i18n';
import type { Problem } from '../../../shared/api/models';
import { formatDateTime } from '../format';
import { useFormat } from './useFormat';

/**
 * A problem from the main process (draft, close, file) in the UI language: `problems.<code>` with its
 * numbers formatted by their kind (the suffix of the parameter's name); the English text otherwise.
 */
export function useProblems() {
  const { t, te } = useI18n();
  const f = useFormat();

  function param(name: string, v: string | number): string | number {
    if (name.endsWith('Atoms')) return f.atoms(String(v));
    if (name.endsWith('Power')) return f.quantum(Number(v));
    if (name.endsWith('Count')) return f.num(String(v));
    if (name.endsWith('At')) return formatDateTime(Number(v));
    if (name === 'status' && te(`address.statusValue.${v}`)) return t(`address.statusValue.${v}`);
    if (name === 'state' && te(`channels.state.${v}`)) return t(`channels.state.${v}`);
    return v;
  }

  function describe(p: Problem): string {
    const key = `problems.${p.code}`;
    if (!te(key)) return p.text;
    return t(key, Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, param(k, v)])));
  }

  /** The problems about one form field, as sentences (shown next to it). */
  function forField(list: readonly Problem[] | undefined, field: Problem['field']): string | null {
    const mine = (list ?? []).filter((p) => p.field === field).map(describe);
    return mine.length ? mine.join(' ') : null;
  }

  return { describe, forField };
}
