/** A bare protocol client for tests: real WebSocket, signed payloads, frames as the tracker sends them. */
import WebSocket from 'ws';
import type { KeyObject } from 'node:crypto';
import { generateRsaKeyPair, parsePrivateKey } from '../../shared/crypto/keys';
import { signMessage } from '../../shared/crypto/sign';
import { signJsonPayload, signPemPayload } from '../../shared/crypto/signed-payload';
import { commonAddressOf } from '../../shared/crypto/address';

export interface Frame {
  cmd?: number;
  corrToken?: string;
  data?: unknown;
  error?: string;
  exData?: unknown;
}

export class RawClient {
  private seq = 0;
  private readonly pending = new Map<string, (f: Frame) => void>();
  readonly unmatched: Frame[] = [];
  closeCode: number | null = null;
  private readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Frame;
      const waiter = f.corrToken ? this.pending.get(f.corrToken) : undefined;
      if (waiter && f.corrToken) {
        this.pending.delete(f.corrToken);
        waiter(f);
      } else {
        const any = this.pending.get('*');
        if (any) {
          this.pending.delete('*');
          any(f);
        } else this.unmatched.push(f);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url, { maxPayload: 1 << 24 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }

  /** Sends an envelope and waits for the frame answering it. */
  request(cmd: number, payload: unknown, corrToken = `t${++this.seq}`): Promise<Frame> {
    return this.sendText(JSON.stringify({ cmd, corrToken, payload }), corrToken);
  }

  /** Sends any text and waits for the answer correlated by corrToken ('*' = the next unmatched frame). */
  sendText(text: string, corrToken = '*'): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${corrToken}`)), 20_000);
      this.pending.set(corrToken, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      this.ws.send(text);
    });
  }

  waitClose(): Promise<number> {
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }
}

/** A peer with its own RSA key. Key generation is slow: reuse peers across tests where possible. */
export class TestPeer {
  readonly publicPem: string;
  readonly privateKey: KeyObject;

  constructor(pair = generateRsaKeyPair()) {
    this.publicPem = pair.publicPem;
    this.privateKey = parsePrivateKey(pair.privatePem);
  }

  get commonAddress(): string {
    return commonAddressOf(this.publicPem);
  }

  pemPayload() {
    return signPemPayload(this);
  }

  json(fields: Record<string, unknown>) {
    return signJsonPayload(this, fields);
  }

  sign(message: string): string {
    return signMessage(message, this.privateKey);
  }
}

export interface ContractFields {
  channelId: string;
  fromAddress: string;
  toAddress: string;
  priceTokens: string;
  priceQuantumPower: number;
  plannedQuantumCount: number;
}

/** Both signatures over a contract (cmd 8) or close (cmd 16) message. */
export function twoSigned(payer: TestPeer, payee: TestPeer, fields: Record<string, unknown>) {
  const message = JSON.stringify({ fromPK: payer.publicPem, toPK: payee.publicPem, ...fields });
  return {
    message,
    fromPK: payer.publicPem,
    fromSign: payer.sign(message),
    toPK: payee.publicPem,
    toSign: payee.sign(message),
  };
}

/** The parsed result of a success frame; throws with the tracker's error otherwise. */
export function resultOf<T = Record<string, unknown>>(f: Frame): T {
  if (f.error) throw new Error(f.error);
  const data = f.data as { message: string };
  try {
    return JSON.parse(data.message) as T;
  } catch {
    return data.message as T;
  }
}

export function errorCodeOf(f: Frame): string | undefined {
  return f.error?.split(':')[0];
}
