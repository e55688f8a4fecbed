/**
 * The tracker as a process (`node --import tsx ledger/cli.ts`, SPEC §5): key file beside the database (0600, reused),
 * TX_INIT once, configuration from the environment with CLI flags winning, one JSON log line per
 * connection and per command, SIGTERM/SIGINT exit 0, bad flags exit 2 with the usage on stderr.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, tempDir, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, twoSigned } from '../helpers/raw-client';
import { MINUTE, Session, dbQuery, token, trackerBalance, type AddressState } from '../helpers/command-kit';
import { generateRsaKeyPair } from '../../shared/crypto/keys';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LONG = 86_400_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (for start-up failures), killing it after `ms`. */
function runCli(args: string[], env: Record<string, string> = {}, ms = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'ledger/cli.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

let alice: TestPeer;
let bob: TestPeer;
beforeAll(() => {
  alice = new TestPeer();
  bob = new TestPeer();
});

describe('key file and TX_INIT', () => {
  const dir = tempDir();
  let ledger: LedgerProcess | undefined;
  afterAll(async () => {
    await ledger?.stop();
  });

  it('creates the key beside the database with mode 0600 and reuses it on restart; TX_INIT once', async () => {
    ledger = await startLedger({
      dir,
      expiryIntervalMs: LONG,
      env: { TLPRT_LEDGER_AMOUNT_INITIAL: '77000' },
    });
    const keyPath = join(dir, 'tracker-key.pem');
    expect(existsSync(keyPath)).toBe(true);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const privatePem = readFileSync(keyPath, 'utf8');
    expect(privatePem).toContain('PRIVATE KEY');
    const s1 = await Session.open(ledger.url, ledger.db, alice);
    const derived = createPublicKey(createPrivateKey(privatePem))
      .export({ type: 'spki', format: 'pem' })
      .toString();
    expect(s1.trackerPem).toBe(derived);
    await s1.ok(4, alice.pemPayload());
    s1.close();
    // The key never reaches the log.
    const body = privatePem.split('\n')[5]!;
    expect(JSON.stringify(ledger.logs)).not.toContain(body);
    const init = async () =>
      (
        await dbQuery<{ amount: string; n: number }>(
          ledger!.db,
          'SELECT amount, COUNT(*) AS n FROM transactions WHERE tx_type = 1',
        )
      )[0]!;
    expect(await init()).toEqual({ amount: '77000', n: 1 });
    expect(await ledger.stop()).toBe(0);

    // Restart: other initial amount, key file made readable by others (tightened back to 0600).
    chmodSync(keyPath, 0o644);
    ledger = await startLedger({ dir, expiryIntervalMs: LONG, env: { TLPRT_LEDGER_AMOUNT_INITIAL: '5' } });
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyPath, 'utf8')).toBe(privatePem);
    const s2 = await Session.open(ledger.url, ledger.db, bob);
    expect(s2.trackerPem).toBe(s1.trackerPem);
    s2.close();
    expect(await init()).toEqual({ amount: '77000', n: 1 });
    expect(await trackerBalance(ledger.db)).toBe(77000n - 11000n);
    expect(await ledger.stop('SIGINT')).toBe(0);
    ledger = undefined;

    // A key file that is not the database's key: the tracker refuses to start.
    writeFileSync(keyPath, generateRsaKeyPair().privatePem, { mode: 0o600 });
    const r = await runCli(['--port', '0', '--db', join(dir, 'ledger.sqlite')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not the key this database was created with/);
  });
});

describe('configuration', () => {
  let ledger: LedgerProcess;
  let s: Session;
  beforeAll(async () => {
    ledger = await startLedger({
      expiryIntervalMs: LONG,
      env: {
        TLPRT_LEDGER_AMOUNT_INITIAL: '12000',
        TLPRT_LEDGER_AMOUNT_SPEND: '5000',
        TLPRT_LEDGER_PRICE_AMOUNT_SPEND: '2000',
        TLPRT_LEDGER_PRICE_AMOUNT_INCOME: '700',
        TLPRT_LEDGER_QUANTUM_POWER: '16',
        TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '10',
        TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME: '20',
        TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME: '2',
        TLPRT_LEDGER_PRIVATE_KEY_FILE_NAME: 'my-key.pem',
      },
    });
    s = await Session.open(ledger.url, ledger.db, alice);
  });
  afterAll(async () => {
    s?.close();
    expect(await ledger?.stop()).toBe(0);
  });

  it('the environment sets amounts, prices, quantum power, lifetimes and the key file name', async () => {
    expect(existsSync(join(ledger.dir, 'my-key.pem'))).toBe(true);
    expect(statSync(join(ledger.dir, 'my-key.pem')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(ledger.dir, 'tracker-key.pem'))).toBe(false);
    const sp = await s.ok<AddressState>(4, alice.pemPayload());
    expect(sp.current).toEqual({ amount: '5000', quantumVolume: 0, volume: 0 });
    expect(sp.price).toEqual({ amount: '2000', quantumPower: 16 });
    expect(sp.lifetime).toBe(10 * MINUTE);
    const ip = await s.ok<AddressState>(2, bob.pemPayload());
    expect(ip.price).toEqual({ amount: '700', quantumPower: 16 });
    expect(ip.lifetime).toBe(20 * MINUTE);
    const [item] = (await s.history(alice, 1)).items;
    expect(item).toMatchObject({ tx_type: 4, amount: 5000, price_amount: 2000, price_quantum_power: 16 });
    // 12000 = 5000 + 5000 + 2000 (what is left).
    await s.ok(4, alice.pemPayload());
    expect((await s.ok<AddressState>(4, bob.pemPayload())).current.amount).toBe('2000');
    // Bounds at power 16 compared across powers: 1000 per 2^15 = 2000 per 2^16 (the maximum).
    const k = (id: string, priceTokens: string, priceQuantumPower: number) =>
      twoSigned(alice, bob, {
        channelId: id,
        fromAddress: sp.address,
        toAddress: ip.address,
        priceTokens,
        priceQuantumPower,
        plannedQuantumCount: 1,
      });
    const r = await s.ok<{ lifetime: number }>(8, k('at-max', '1000', 15));
    expect(r.lifetime).toBeLessThanOrEqual(2 * MINUTE);
    expect(r.lifetime).toBeGreaterThan(2 * MINUTE - 5_000);
    await s.refused(8, k('above', '1001', 15), 'PRICE_OUT_OF_BOUNDS');
    await s.refused(8, k('below', '349', 15), 'PRICE_OUT_OF_BOUNDS');
    await s.ok(8, k('at-min', '350', 15));
  });
});

describe('CLI flags win over the environment', () => {
  let occupied: LedgerProcess;
  let ledger: LedgerProcess;
  afterAll(async () => {
    expect(await ledger?.stop()).toBe(0);
    expect(await occupied?.stop()).toBe(0);
  });

  it('--port, --db, --host, --key and --expiry-interval-ms override TLPRT_LEDGER_*', async () => {
    occupied = await startLedger({ expiryIntervalMs: LONG, args: ['--quiet'] });
    const dir = tempDir();
    ledger = await startLedger({
      dir,
      expiryIntervalMs: LONG,
      args: ['--key', 'flag-key.pem', '--host', '127.0.0.1'],
      env: {
        TLPRT_LEDGER_PORT: String(occupied.port), // would fail with EADDRINUSE if it won
        TLPRT_LEDGER_DB: join(dir, 'env.sqlite'),
        TLPRT_LEDGER_HOST: '203.0.113.1', // not an address of this machine
        TLPRT_LEDGER_PRIVATE_KEY_FILE_NAME: 'env-key.pem',
        TLPRT_LEDGER_EXPIRY_INTERVAL_MS: 'not a number',
      },
    });
    expect(ledger.port).not.toBe(occupied.port);
    expect(ledger.url).toBe(`ws://127.0.0.1:${ledger.port}`);
    expect(existsSync(ledger.db)).toBe(true);
    expect(existsSync(join(dir, 'env.sqlite'))).toBe(false);
    expect(existsSync(join(dir, 'flag-key.pem'))).toBe(true);
    expect(existsSync(join(dir, 'env-key.pem'))).toBe(false);
    const s = await Session.open(ledger.url, ledger.db, alice);
    s.close();
    // --quiet: the listening line only.
    expect(occupied.logs.map((l) => l.event)).toEqual(['listening']);
  });
});

describe('logging and signals', () => {
  it('one JSON log line per connection and per command (cmd, ms, code); SIGTERM exits 0', async () => {
    const ledger = await startLedger({ expiryIntervalMs: LONG });
    const c = await RawClient.connect(ledger.url);
    await c.request(1, alice.pemPayload(), token());
    const p = alice.pemPayload();
    await c.request(4, { ...p, sign: bob.sign(p.message) }, token());
    await c.request(256, alice.json({ address: 'nowhere' }), token());
    await c.sendText('not json');
    await c.request(99, {}, token());
    const conns = () => ledger.logs.filter((l) => l.event === 'connection');
    const cmds = () => ledger.logs.filter((l) => l.event === 'cmd');
    await waitFor(() => cmds().length >= 5);
    expect(conns()).toHaveLength(1);
    const conn = conns()[0]!.conn;
    expect(typeof conn).toBe('number');
    expect(cmds().map((l) => [l.conn, l.cmd, l.code])).toEqual([
      [conn, 1, 'OK'],
      [conn, 4, 'BAD_SIGNATURE'],
      [conn, 256, 'BAD_ADDRESS'],
      [conn, null, 'BAD_FRAME'],
      [conn, 99, 'UNKNOWN_COMMAND'],
    ]);
    for (const l of cmds()) {
      expect(typeof l.ms).toBe('number');
      expect(l.ms as number).toBeGreaterThanOrEqual(0);
      expect(l.level).toBe('info');
      expect(Number.isNaN(Date.parse(l.t as string))).toBe(false);
    }
    // A second connection: a second connection line with another id.
    const c2 = await RawClient.connect(ledger.url);
    await c2.request(1, bob.pemPayload(), token());
    await waitFor(() => cmds().length >= 6);
    expect(conns()).toHaveLength(2);
    expect(conns()[1]!.conn).not.toBe(conn);
    expect(cmds()[5]).toMatchObject({ conn: conns()[1]!.conn, cmd: 1, code: 'OK' });
    c.close();
    c2.close();
    expect(await ledger.stop('SIGTERM')).toBe(0);
  });

  it('every stdout line is a JSON object with t, level and event', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'ledger/cli.ts'), '--port', '0', '--db', join(dir, 'l.sqlite')],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await waitFor(() => stdout.includes('"listening"'), 20_000);
    const url = (JSON.parse(stdout.split('\n').find((l) => l.includes('"listening"'))!) as { url: string })
      .url;
    const c = await RawClient.connect(url);
    await c.request(1, alice.pemPayload(), token());
    await c.request(4, alice.pemPayload(), token());
    c.close();
    await waitFor(() => stdout.includes('"disconnect"'));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = stdout.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.t).toBe('string');
      expect(typeof entry.level).toBe('string');
      expect(typeof entry.event).toBe('string');
    }
    expect(stdout).not.toContain('PRIVATE KEY');
  });
});

describe('bad command lines', () => {
  it('exit 2 with the usage (or the reason) on stderr', async () => {
    const db = join(tempDir(), 'x.sqlite');
    const [unknown, missing, port, power, lifetime] = await Promise.all([
      runCli(['--bogus', '--db', db]),
      runCli(['--db', db, '--port']),
      runCli(['--db', db, '--port', '70000']),
      runCli(['--db', db], { TLPRT_LEDGER_QUANTUM_POWER: '64' }),
      runCli(['--db', db], { TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '0' }),
    ]);
    for (const r of [unknown, missing]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage:');
      expect(r.stdout).toBe('');
    }
    expect(unknown.stderr).toContain('--bogus');
    expect(port).toMatchObject({ code: 2, stdout: '' });
    expect(port.stderr).toMatch(/port/);
    expect(power).toMatchObject({ code: 2, stdout: '' });
    expect(power.stderr).toMatch(/QUANTUM_POWER/);
    expect(lifetime).toMatchObject({ code: 2, stdout: '' });
    expect(lifetime.stderr).toMatch(/SPEND_CHANNEL_LIFETIME/);
    expect(existsSync(db)).toBe(false);
    // Five tsx start-ups at once: each may take long on a machine several test runs share.
  }, 120_000);

  it('a --db that looks like a URL but is no valid PostgreSQL URL is refused; a URL needs --key', async () => {
    // Each kind of bad value is in tests/unit/ledger-config.test.ts; here: what a user sees, and
    // that nothing is created. Three processes at once, each given time on a busy machine.
    const slow = 50_000;
    const [oneSlash, withPassword, noKey] = await Promise.all([
      runCli(['--db', 'postgres:/one-slash/db', '--key', 'k.pem'], {}, slow),
      runCli(['--db', 'postgres://u:s3cret@localhost/db#x', '--key', 'k.pem'], {}, slow),
      runCli(
        ['--db', 'postgresql://u:s3cret@localhost/db'],
        { TLPRT_LEDGER_PRIVATE_KEY_FILE_NAME: '' },
        slow,
      ),
    ]);
    for (const r of [oneSlash, withPassword]) {
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toMatch(/is not a valid database URL: .+ \(expected postgres:\/\/user/);
    }
    expect(oneSlash.stderr).toContain('the scheme must be followed by //');
    expect(withPassword.stderr).toContain('fragment');
    expect(withPassword.stderr).not.toContain('s3cret');
    expect(noKey).toMatchObject({ code: 2, stdout: '' });
    expect(noKey.stderr).toMatch(/--key <file> .* must name the tracker key file/);
    expect(noKey.stderr).not.toContain('s3cret');
    // Before, such a value quietly became a SQLite file in a folder named `postgres:`.
    for (const dir of ['postgres:', 'postgresql:']) expect(existsSync(join(root, dir))).toBe(false);
  });

  it('--help prints the usage on stdout and exits 0 without starting', async () => {
    const db = join(tempDir(), 'x.sqlite');
    const r = await runCli(['--help', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: npm run ledger');
    expect(r.stdout).toContain('TLPRT_LEDGER_AMOUNT_INITIAL');
    for (const [flag, env] of [
      ['--max-connections', 'MAX_CONNECTIONS'],
      ['--idle-timeout-s', 'IDLE_TIMEOUT_S'],
      ['--max-buffered-bytes', 'MAX_BUFFERED_BYTES'],
      ['--max-requests-per-s', 'MAX_REQUESTS_PER_S'],
      ['--max-cursors', 'MAX_CURSORS'],
      ['--allow-origin', 'ALLOW_ORIGIN'],
      ['--workers', 'WORKERS'],
      ['--shutdown-timeout-s', 'SHUTDOWN_TIMEOUT_S'],
    ]) {
      expect(r.stdout).toContain(flag);
      expect(r.stdout).toContain(`TLPRT_LEDGER_${env}`);
    }
    expect(r.stdout).toContain('/healthz');
    expect(r.stdout).toContain('/metrics');
    expect(existsSync(db)).toBe(false);
  });
});
