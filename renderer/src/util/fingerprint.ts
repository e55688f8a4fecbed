/**
 * Display-only fingerprint of a public key PEM (SHA-256 of the SPKI DER, hex grouped by four), the
 * same text the main process shows for identities. Uses WebCrypto; no key handling, no signing.
 */
const cache = new Map<string, Promise<string | null>>();

export function pemBody(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) [A-Z ]+-----/g, '')
    .replace(/\s+/g, '')
    .trim();
}

/** Two PEMs carry the same key text (display matching only; the main process compares DER). */
export function samePem(a: string, b: string): boolean {
  return pemBody(a) === pemBody(b);
}

export function fingerprintOfPem(pem: string): Promise<string | null> {
  const body = pemBody(pem);
  let p = cache.get(body);
  if (!p) {
    p = (async () => {
      try {
        const subtle = globalThis.crypto?.subtle;
        if (!subtle || !body) return null;
        const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
        const digest = new Uint8Array(await subtle.digest('SHA-256', der));
        const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
        return hex.match(/.{4}/g)!.join(':');
      } catch {
        return null;
      }
    })();
    cache.set(body, p);
  }
  return p;
}
