/** `npm run ledger -- --port 8787 --db ./data/ledger.sqlite`: the wallet tracker as a server. */
import { ConfigError, HelpRequested, loadConfig } from './config';
import { jsonLogger } from './log';
import { startLedgerServer } from './server';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2));
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(`${e.message}\n`);
      process.exit(0);
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = jsonLogger(cfg.log);
  const server = await startLedgerServer(cfg, log);
  // Always printed (even with --quiet): tests and the embedded host read the port from it.
  process.stdout.write(
    `${JSON.stringify({ t: new Date().toISOString(), level: 'info', event: 'listening', url: server.url, port: server.port, db: cfg.database.kind === 'sqlite' ? cfg.database.path : cfg.database.display })}\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutdown', { signal });
    // The drain is bounded by --shutdown-timeout-s; this is the backstop if closing itself hangs.
    setTimeout(() => {
      log.error('shutdown_forced', {});
      process.exit(1);
    }, cfg.shutdownTimeoutMs + 5000).unref();
    void server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('shutdown_failed', { error: String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`ledger failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
