/**
 * A WebSocket client written by hand over a TCP socket, for what a library client will not do:
 * never read (a slow reader), send invalid UTF-8, or stay silent before upgrading.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RawUpgrade {
  socket: Socket;
  /** HTTP status of the upgrade answer (101 when accepted). */
  status: number;
  /** Bytes received after the HTTP head (server frames). */
  rest: Buffer;
}

/** Opens a TCP connection to 127.0.0.1:port (resolves once connected). */
export function tcpConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends a WebSocket upgrade request and reads the answer's head. */
export async function rawUpgrade(port: number, headers: Record<string, string> = {}): Promise<RawUpgrade> {
  const socket = await tcpConnect(port);
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.subarray(0, end).toString('latin1'))?.[1]);
      resolve({ socket, status, rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the upgrade answer')));
  });
}

/** A masked client frame (RFC 6455 §5.2); opcode 1 = text. */
export function clientFrame(payload: Buffer | string, opcode = 0x1): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const mask = randomBytes(4);
  const len = data.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : len < 65536
        ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigEndian64(len)]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, masked]);
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Reads server frames until a close frame; resolves with its status code. */
export function closeCodeOf(upgrade: RawUpgrade): Promise<number> {
  const { socket } = upgrade;
  return new Promise((resolve, reject) => {
    let buf = upgrade.rest;
    const scan = (): boolean => {
      while (buf.length >= 2) {
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return false;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return false;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return false;
        if (opcode === 0x8) {
          resolve(len >= 2 ? buf.readUInt16BE(off) : 1005);
          return true;
        }
        buf = buf.subarray(off + len);
      }
      return false;
    };
    if (scan()) return;
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      scan();
    });
    socket.once('close', () => reject(new Error('socket closed without a close frame')));
    socket.resume();
  });
}
