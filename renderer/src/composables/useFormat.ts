import { useI18n } from 'vue-i18n';
import {
  formatAtoms,
  formatBytes,
  formatQuantum,
  formatTp,
  groupDigits,
  pluralOf,
  teleports,
  toBig,
  type Atoms,
  type ByteUnit,
  type Integer,
} from '../format';

/**
 * The formatters of the UI language: numbers grouped as the language groups them, unit words and
 * symbols translated (units.*). Read in a template, they follow a language switch.
 */
export function useFormat() {
  const { t, locale } = useI18n();
  const unitName = (u: ByteUnit) => t(`units.bytes.${u}`);
  const atomWord = (n: bigint) => t(`units.atom.${pluralOf(n, locale.value)}`);
  return {
    /** 11000 → "11,000" / "11 000" */
    num: (v: Integer) => groupDigits(v, locale.value),
    /** 11000 → "1.1" / "1,1" */
    tpNumber: (v: Atoms) => teleports(v, locale.value),
    /** 11000 → "1.1 TP" */
    tp: (v: Atoms) => formatTp(v, locale.value, t('units.tp')),
    /** 11000 → "11,000 atoms" / "11 000 атомов" */
    atoms: (v: Atoms) => formatAtoms(v, locale.value, atomWord),
    /** the word alone, for a count shown elsewhere */
    atomWord: (v: Integer) => atomWord(toBig(v)),
    /** 1536 → "1.5 KiB" / "1,5 КиБ" */
    bytes: (v: Integer, decimals = 2) => formatBytes(v, decimals, locale.value, unitName),
    /** 20 → "1 MiB" / "1 МиБ" */
    quantum: (power: number) => formatQuantum(power, locale.value, unitName),
    unitName,
  };
}

export type Formatter = ReturnType<typeof useFormat>;
