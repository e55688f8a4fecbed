/** Field checks run as the user types. Each returns an i18n key of the problem, or null. */

export type Problem = string | null;

/** A name; `taken` lists the names already in use (compared without case and outer spaces). */
export function checkName(v: string, taken: readonly string[] = []): Problem {
  if (!v.trim()) return 'validation.nameRequired';
  if (v.trim().length > 100) return 'validation.nameTooLong';
  const wanted = v.trim().toLocaleLowerCase();
  if (taken.some((n) => n.trim().toLocaleLowerCase() === wanted)) return 'validation.nameTaken';
  return null;
}

export function checkPassphrase(v: string): Problem {
  if (v.length < 8) return 'validation.passphraseShort';
  if (v.length > 1024) return 'validation.passphraseLong';
  return null;
}

export function checkConfirm(v: string, original: string): Problem {
  return v === original ? null : 'validation.passphraseMismatch';
}

export function checkWsUrl(v: string): Problem {
  const s = v.trim();
  if (!s) return 'validation.urlRequired';
  if (!/^wss?:\/\//i.test(s)) return 'validation.urlScheme';
  try {
    const u = new URL(s);
    if (!u.hostname) return 'validation.urlInvalid';
  } catch {
    return 'validation.urlInvalid';
  }
  return null;
}

const UINT64_MAX = (1n << 64n) - 1n;

/** A whole non-negative number that fits in uint64. `min` defaults to 0. */
export function checkDecimal(v: string, min = 0n): Problem {
  const s = v.trim();
  if (!s) return 'validation.required';
  if (!/^(0|[1-9][0-9]*)$/.test(s)) return 'validation.decimal';
  const n = BigInt(s);
  if (n > UINT64_MAX) return 'validation.tooLarge';
  if (n < min) return min === 1n ? 'validation.positive' : 'validation.tooSmall';
  return null;
}

export function checkPower(v: string | number): Problem {
  const s = String(v).trim();
  if (!/^\d{1,2}$/.test(s)) return 'validation.power';
  const n = Number(s);
  return n >= 0 && n <= 63 ? null : 'validation.power';
}

export function checkPem(v: string): Problem {
  const s = v.trim();
  if (!s) return 'validation.required';
  if (!/-----BEGIN [A-Z ]+-----[\s\S]+-----END [A-Z ]+-----/.test(s)) return 'validation.pem';
  return null;
}

/** The private key of an identity: a public key pasted here is named as such. */
export function checkPrivatePem(v: string): Problem {
  const p = checkPem(v);
  if (p) return p;
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(v)) return 'validation.notPrivatePem';
  return /PRIVATE KEY-----/.test(v) ? null : 'validation.privatePem';
}

export function checkPublicPem(v: string): Problem {
  const p = checkPem(v);
  if (p) return p;
  return /-----BEGIN PUBLIC KEY-----/.test(v) ? null : 'validation.publicPem';
}

export function checkMinutes(v: string | number, max: number): Problem {
  const s = String(v).trim();
  if (!/^\d+$/.test(s)) return 'validation.decimal';
  return Number(s) <= max ? null : 'validation.tooLarge';
}
