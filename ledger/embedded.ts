/**
 * Entry of the embedded tracker: the app starts it outside its UI event loop (Electron
 * utilityProcess, or a forked child in plain Node) and reads the URL from the first message.
 */
import { loadConfig } from './config';
import { jsonLogger } from './log';
import { startLedgerServer } from './server';

interface ParentPort {
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function tell(message: Record<string, unknown>): void {
  if (parentPort) parentPort.postMessage(message);
  else if (process.send) process.send(message);
  else process.stdout.write(`${JSON.stringify(message)}\n`);
}

try {
  const cfg = loadConfig(process.argv.slice(2));
  const server = await startLedgerServer(cfg, jsonLogger(cfg.log));
  tell({ event: 'listening', url: server.url, port: server.port });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A forked child whose parent died must not linger holding the database.
  process.on('disconnect', stop);
} catch (e) {
  tell({ event: 'error', message: (e as Error).message });
  process.exit(1);
}
