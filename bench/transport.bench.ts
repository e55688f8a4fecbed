/**
 * Round trip of one tracker state read (cmd 8192, the common address state) through each transport
 * of the app, beside a bare WebSocket round trip of the same signed command to the tracker:
 * what the app's layers (dispatch, validation, the session's verification) add on top of the wire.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { startLedger } from '../tests/helpers/ledger-process';
import { RawClient, TestPeer } from '../tests/helpers/raw-client';
import { createAppBackend } from '../electron/services/app/create-backend';
import { dispatch } from '../electron/services/api/backend';
import { createIpcHandlers } from '../electron/main/ipc';
import { attachBridge } from '../electron/host/bridge';
import { generateToken } from '../electron/host/auth';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(n: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await f();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

export async function benchTransports(n = 300): Promise<Record<string, string>> {
  const ledger = await startLedger({ args: ['--quiet'] });
  const dataDir = mkdtempSync(join(tmpdir(), 'wt-bench-transport-'));
  const backend = await createAppBackend({ dataDir, mode: 'serve', watch: false });
  const server = createServer((_q, r) => r.writeHead(404).end());
  try {
    const peer = new TestPeer();
    const raw = await RawClient.connect(ledger.url);
    const payload = peer.json({ address: peer.commonAddress });
    const bare = await timeIt(n, () => raw.request(8192, payload));
    raw.close();

    const call = async (name: string, args: unknown) => {
      const r = await dispatch(backend, name, args);
      if ('error' in r) throw new Error(`${r.error.code}: ${r.error.message}`);
      return r.result;
    };
    const me = (await call('identities.create', { name: 'Bench', passphrase: 'bench passphrase' })) as {
      id: string;
    };
    const profile = (await call('trackers.add', { name: 'Bench', url: ledger.url })) as { id: string };
    await call('trackers.connect', { profileId: profile.id, identityId: me.id });
    const args = { identityId: me.id };

    const direct = await timeIt(n, () => call('common.state', args));
    const ipc = createIpcHandlers(backend, () => true);
    const viaIpc = await timeIt(n, async () => {
      const r = await ipc.invoke({ url: 'file:///bench', parent: null }, 'common.state', args);
      if ('error' in r) throw new Error(r.error.message);
    });

    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const token = generateToken();
    const bridge = attachBridge(server, backend, token);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, {
      origin: `http://127.0.0.1:${port}`,
      headers: { Authorization: `Bearer ${token}` },
    });
    await new Promise<void>((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    let id = 0;
    const waiting = new Map<number, () => void>();
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { id?: number };
      if (m.id !== undefined) waiting.get(m.id)?.();
    });
    const viaBridge = await timeIt(
      n,
      () =>
        new Promise<void>((resolve) => {
          const k = ++id;
          waiting.set(k, () => {
            waiting.delete(k);
            resolve();
          });
          ws.send(JSON.stringify({ id: k, method: 'common.state', args }));
        }),
    );
    ws.close();
    await bridge.close();
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    return {
      'bare WebSocket round trip (cmd 8192), median': ms(bare),
      'backend dispatch, in process, median': ms(direct),
      'Electron IPC core (createIpcHandlers), median': ms(viaIpc),
      'WebSocket bridge (npm run serve), median': ms(viaBridge),
    };
  } finally {
    server.close();
    await backend.close();
    await ledger.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchTransports(), null, 2));
}
