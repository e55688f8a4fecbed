import { describe, expect, it } from 'vitest';
import {
  ageParts,
  checkConfirm,
  checkDecimal,
  checkName,
  checkPassphrase,
  checkPower,
  checkPublicPem,
  checkWsUrl,
  formatAtoms,
  formatBytes,
  formatCountdown,
  formatMoney,
  formatQuantum,
  formatInteger,
  formatTp,
  groupDigits,
  parseVolume,
  pluralOf,
  parseDateInput,
  quantaBytes,
  ratio,
  secondsUntil,
  shortAddress,
  shortFingerprint,
  teleports,
} from '../../renderer/src/format';
import { describeError, explainError } from '../../renderer/src/util/errors';

describe('amounts', () => {
  it('groups atoms and formats teleports without floats', () => {
    expect(groupDigits('11000')).toBe('11,000');
    expect(groupDigits('0')).toBe('0');
    expect(groupDigits('999')).toBe('999');
    expect(groupDigits('1000000')).toBe('1,000,000');
    expect(formatTp('11000')).toBe('1.1 TP');
    expect(formatTp('1')).toBe('0.0001 TP');
    expect(formatTp('10000')).toBe('1 TP');
    expect(formatTp('0')).toBe('0 TP');
    expect(teleports('123456789')).toBe('12,345.6789');
    expect(formatAtoms('11000')).toBe('11,000 atoms');
    expect(formatMoney('11000')).toBe('1.1 TP (11,000 atoms)');
  });

  it('is exact for values beyond 2^53 up to uint64 max', () => {
    const big = '18446744073709551615'; // 2^64 − 1
    expect(groupDigits(big)).toBe('18,446,744,073,709,551,615');
    expect(formatTp(big)).toBe('1,844,674,407,370,955.1615 TP');
    const justOver = (2n ** 53n + 1n).toString(); // 9007199254740993: a float would print ...992
    expect(groupDigits(justOver)).toBe('9,007,199,254,740,993');
    expect(formatTp(justOver)).toBe('900,719,925,474.0993 TP');
  });

  it('accepts bigint and handles negatives', () => {
    expect(groupDigits(-1234567n)).toBe('-1,234,567');
    expect(teleports(-15000n)).toBe('-1.5');
  });

  it('computes drawing ratios with bigint and clamps them', () => {
    expect(ratio('5', '10')).toBe(0.5);
    expect(ratio('0', '10')).toBe(0);
    expect(ratio('20', '10')).toBe(1);
    expect(ratio('1', '0')).toBe(0);
    expect(ratio('9007199254740993', '18014398509481986')).toBeCloseTo(0.5, 6);
  });
});

describe('bytes', () => {
  it('formats binary units, truncating rather than rounding up', () => {
    expect(formatBytes('0')).toBe('0 B');
    expect(formatBytes('1023')).toBe('1,023 B');
    expect(formatBytes('1024')).toBe('1 KiB');
    expect(formatBytes('1536')).toBe('1.5 KiB');
    expect(formatBytes(String(1024 * 1024))).toBe('1 MiB');
    expect(formatBytes(String(5 * 1024 * 1024 * 1024))).toBe('5 GiB');
    expect(formatBytes(String(1024 * 1024 - 1))).toBe('1,023.99 KiB');
    expect(formatBytes('1048575', 0)).toBe('1,023 KiB');
  });

  it('is exact for huge volumes', () => {
    expect(formatBytes('18446744073709551615')).toBe('15.99 EiB');
    expect(formatBytes((1n << 60n).toString())).toBe('1 EiB');
    expect(formatBytes(3n << 50n)).toBe('3 PiB');
  });

  it('sizes quanta', () => {
    expect(formatQuantum(20)).toBe('1 MiB');
    expect(formatQuantum(0)).toBe('1 B');
    expect(formatQuantum(63)).toBe('8 EiB');
    expect(formatQuantum(64)).toBe('?');
    expect(quantaBytes('5', 20)).toBe(5n * 1048576n);
    expect(quantaBytes('3', 63)).toBe(3n << 63n);
  });
});

describe('time', () => {
  it('formats countdowns', () => {
    expect(formatCountdown(0)).toBe('0s');
    expect(formatCountdown(-5)).toBe('0s');
    expect(formatCountdown(12_400)).toBe('12s');
    expect(formatCountdown(4 * 60_000 + 5_000)).toBe('4m 05s');
    expect(formatCountdown(3_600_000 + 2 * 60_000 + 3_000)).toBe('1h 02m 03s');
    expect(formatCountdown(26 * 3_600_000)).toBe('1d 02h');
  });

  it('counts seconds until a time, never negative', () => {
    expect(secondsUntil(10_500, 10_000)).toBe(1);
    expect(secondsUntil(15_000, 10_000)).toBe(5);
    expect(secondsUntil(5_000, 10_000)).toBe(0);
  });

  it('splits ages into unit and count', () => {
    expect(ageParts(500)).toEqual({ n: 0, unit: 'now' });
    expect(ageParts(5_000)).toEqual({ n: 5, unit: 's' });
    expect(ageParts(5 * 60_000)).toEqual({ n: 5, unit: 'm' });
    expect(ageParts(3 * 3_600_000)).toEqual({ n: 3, unit: 'h' });
    expect(ageParts(72 * 3_600_000)).toEqual({ n: 3, unit: 'd' });
  });

  it('parses date inputs in local time', () => {
    const start = parseDateInput('2025-01-31')!;
    const end = parseDateInput('2025-01-31', true)!;
    expect(new Date(start).getDate()).toBe(31);
    expect(end - start).toBe(86_400_000 - 1);
    expect(parseDateInput('nope')).toBeUndefined();
  });
});

describe('short forms', () => {
  it('shortens fingerprints and addresses', () => {
    expect(shortFingerprint('aaaa:bbbb:cccc:dddd:eeee:ffff:0000:1111')).toBe('aaaa:bbbb:cccc:dddd…0000:1111');
    expect(shortFingerprint('aaaa:bbbb')).toBe('aaaa:bbbb');
    expect(shortFingerprint(null)).toBe('—');
    expect(shortAddress('0x0b1234567890abcdefghij==')).toBe('0x0b123456…ghij==');
    expect(shortAddress('short')).toBe('short');
  });
});

describe('validation', () => {
  it('checks names, passphrases and urls', () => {
    expect(checkName('  ')).toBe('validation.nameRequired');
    expect(checkName('Alice')).toBeNull();
    expect(checkPassphrase('1234567')).toBe('validation.passphraseShort');
    expect(checkPassphrase('12345678')).toBeNull();
    expect(checkConfirm('a', 'b')).toBe('validation.passphraseMismatch');
    expect(checkWsUrl('http://x')).toBe('validation.urlScheme');
    expect(checkWsUrl('wss://tracker.example.org:8787')).toBeNull();
    expect(checkWsUrl('ws://127.0.0.1:8787/')).toBeNull();
    expect(checkWsUrl('')).toBe('validation.urlRequired');
  });

  it('checks decimals, uint64 range and power', () => {
    expect(checkDecimal('')).toBe('validation.required');
    expect(checkDecimal('01')).toBe('validation.decimal');
    expect(checkDecimal('1.5')).toBe('validation.decimal');
    expect(checkDecimal('-1')).toBe('validation.decimal');
    expect(checkDecimal('0', 1n)).toBe('validation.positive');
    expect(checkDecimal('18446744073709551615')).toBeNull();
    expect(checkDecimal('18446744073709551616')).toBe('validation.tooLarge');
    expect(checkPower('0')).toBeNull();
    expect(checkPower('63')).toBeNull();
    expect(checkPower('64')).toBe('validation.power');
    expect(checkPower('-1')).toBe('validation.power');
    expect(checkPower('2.5')).toBe('validation.power');
  });

  it('checks public key PEMs', () => {
    expect(checkPublicPem('')).toBe('validation.required');
    expect(checkPublicPem('hello')).toBe('validation.pem');
    expect(checkPublicPem('-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----')).toBe(
      'validation.publicPem',
    );
    expect(checkPublicPem('-----BEGIN PUBLIC KEY-----\nAA\n-----END PUBLIC KEY-----')).toBeNull();
  });
});

describe('error descriptions', () => {
  const dict: Record<string, string> = {
    'errors.NOT_OWNER': 'This address belongs to another key.',
    'errors.WRONG_PASSPHRASE': 'The passphrase is wrong.',
    'errors.UNKNOWN': 'Something went wrong.',
  };
  const t = (k: string) => dict[k] ?? k;
  const te = (k: string) => k in dict;

  it('defect 3: one plain sentence per code, the service wording kept apart as the detail', () => {
    const e = Object.assign(new Error('spend address owned by another key'), { code: 'NOT_OWNER' });
    expect(describeError(e, t, te)).toBe('This address belongs to another key.');
    expect(explainError(e, t, te)).toEqual({
      code: 'NOT_OWNER',
      sentence: 'This address belongs to another key.',
      detail: 'spend address owned by another key',
    });
    // The same words twice are said once: no "(the passphrase is wrong)" after the sentence.
    const wrong = Object.assign(new Error('the passphrase is wrong'), { code: 'WRONG_PASSPHRASE' });
    expect(explainError(wrong, t, te)).toEqual({
      code: 'WRONG_PASSPHRASE',
      sentence: 'The passphrase is wrong.',
      detail: null,
    });
  });

  it('defect 3: an unknown code gets the generic sentence, its message only as the detail', () => {
    const e = Object.assign(new Error('files[0].message: Invalid input: expected string'), {
      code: 'SOMETHING_NEW',
    });
    expect(explainError(e, t, te)).toMatchObject({
      sentence: 'Something went wrong.',
      detail: 'files[0].message: Invalid input: expected string',
    });
    expect(describeError('oops', t, te)).toBe('Something went wrong.');
  });
});

describe('locale-aware numbers', () => {
  it('defect 5: one formatter: Russian groups with a space and writes a decimal comma, exactly', () => {
    const nbsp = /\u00a0|\u202f/g;
    expect(groupDigits('11000', 'ru').replace(nbsp, ' ')).toBe('11 000');
    expect(groupDigits('18446744073709551615', 'ru').replace(nbsp, ' ')).toBe('18 446 744 073 709 551 615');
    expect(teleports('123456789', 'ru').replace(nbsp, ' ')).toBe('12 345,6789');
    expect(teleports('-15000', 'ru')).toBe('-1,5');
    expect(formatTp('11000', 'en')).toBe('1.1 TP');
    expect(formatBytes(2621440n, 2, 'ru', (u) => ({ MiB: 'МиБ' })[u as 'MiB'] ?? u)).toBe('2,5 МиБ');
    expect(formatInteger(1234567, 'en')).toBe('1,234,567');
  });

  it('defect 5: unit words follow the plural rules of the language', () => {
    expect(['1', '2', '5', '21', '1001', '11000'].map((n) => pluralOf(n, 'ru'))).toEqual([
      'one',
      'few',
      'many',
      'one',
      'one',
      'many',
    ]);
    expect(formatAtoms('1')).toBe('1 atom');
    expect(formatAtoms('11000')).toBe('11,000 atoms');
  });

  it('defect 6: parses a decimal volume in a binary unit exactly', () => {
    expect(parseVolume('2.5', 20)).toEqual({ bytes: 2621440n });
    expect(parseVolume('2,5', 20)).toEqual({ bytes: 2621440n });
    expect(parseVolume('2560', 10)).toEqual({ bytes: 2621440n });
    expect(parseVolume('0.5', 0)).toEqual({ problem: 'validation.wholeBytes' });
    expect(parseVolume('0.0009765625', 10)).toEqual({ bytes: 1n });
    expect(parseVolume('1e3', 0)).toEqual({ problem: 'validation.volume' });
    expect(parseVolume('', 0)).toEqual({ problem: 'validation.required' });
    expect(parseVolume('16', 60)).toEqual({ problem: 'validation.tooLarge' });
  });
});
