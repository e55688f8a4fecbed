/** The tracker's RSA work: signing answers and history items, checking peers' signatures. */
import type { KeyObject } from 'node:crypto';
import type { ParsedKey } from '../../shared/crypto/keys';
import { signMessage, verifyMessage } from '../../shared/crypto/sign';

export interface TrackerCrypto {
  /**
   * The tracker's base64 RSASSA-PKCS1-v1_5/SHA-256 signature of the message (deterministic).
   * `background`: work nobody waits for (history items signed after their commit), done only when
   * no other crypto work waits.
   */
  sign(message: string, background?: boolean): Promise<string>;
  /** Checks a peer's signature with a key that parsePublicKey accepted (size and exponent checked). */
  verify(message: string, sign: string, key: ParsedKey): Promise<boolean>;
  close(): Promise<void>;
}

/** Crypto on the calling thread (`--workers 0`): for the embedded tracker and in-process tests. */
export class InlineCrypto implements TrackerCrypto {
  constructor(private readonly privateKey: KeyObject) {}

  sign(message: string): Promise<string> {
    try {
      return Promise.resolve(signMessage(message, this.privateKey));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  verify(message: string, sign: string, key: ParsedKey): Promise<boolean> {
    return Promise.resolve(verifyMessage(message, sign, key.key));
  }

  async close(): Promise<void> {}
}
