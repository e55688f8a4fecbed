import { describe, expect, it } from 'vitest';
import en from '../../renderer/src/i18n/en';
import ru from '../../renderer/src/i18n/ru';
import { createAppI18n } from '../../renderer/src/i18n';
import { API_ERROR_CODES } from '../../shared/api/errors';

type Tree = { [k: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [[prefix + k, v] as [string, string]] : leaves(v, `${prefix}${k}.`),
  );
}

function params(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
}

describe('i18n', () => {
  const enLeaves = new Map(leaves(en as Tree));
  const ruLeaves = new Map(leaves(ru as Tree));

  it('has the same keys in English and Russian', () => {
    expect([...ruLeaves.keys()].sort()).toEqual([...enLeaves.keys()].sort());
  });

  it('translates every error code the API can return, in both languages', () => {
    const missing = API_ERROR_CODES.filter(
      (c) => !enLeaves.has(`errors.${c}`) || !ruLeaves.has(`errors.${c}`),
    );
    expect(missing).toEqual([]);
  });

  it('uses the same placeholders in both languages', () => {
    for (const [key, text] of enLeaves) expect(params(ruLeaves.get(key) ?? ''), key).toEqual(params(text));
  });

  it('has no empty messages and no characters vue-i18n treats as syntax', () => {
    for (const [key, text] of [...enLeaves, ...ruLeaves]) {
      expect(text.trim(), key).not.toBe('');
      expect(text, key).not.toMatch(/[|@$]/);
    }
  });

  it('compiles every message in both locales', () => {
    const i18n = createAppI18n('en');
    const { t } = i18n.global;
    for (const locale of ['en', 'ru'] as const) {
      i18n.global.locale.value = locale;
      for (const key of enLeaves.keys()) {
        const out = t(key, { n: 1, name: 'X', tp: '1', atoms: '1', quantum: '1 MiB', power: 20 });
        expect(typeof out, key).toBe('string');
        expect(out, key).not.toBe(key);
      }
    }
  });
});
