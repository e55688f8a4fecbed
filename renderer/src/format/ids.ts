/** Short forms of fingerprints, addresses and ids (the full value is always one click away). */

/** "ab:cd:ef:…:12:34" → first 4 and last 2 groups; ungrouped hex → first 8 … last 4. */
export function shortFingerprint(fp: string | null | undefined): string {
  if (!fp) return '—';
  const sep = fp.includes(':') ? ':' : fp.includes(' ') ? ' ' : null;
  if (sep) {
    const groups = fp.split(sep);
    if (groups.length <= 6) return fp;
    return `${groups.slice(0, 4).join(sep)}…${groups.slice(-2).join(sep)}`;
  }
  return fp.length <= 14 ? fp : `${fp.slice(0, 8)}…${fp.slice(-4)}`;
}

/** "0x0b1f3c…Xy9w==" → prefix + 6, ellipsis, last 6. */
export function shortAddress(addr: string | null | undefined, head = 10, tail = 6): string {
  if (!addr) return '—';
  return addr.length <= head + tail + 1 ? addr : `${addr.slice(0, head)}…${addr.slice(-tail)}`;
}

export function shortId(id: string | null | undefined): string {
  return shortAddress(id, 8, 6);
}
