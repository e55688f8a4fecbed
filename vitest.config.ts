import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { findPostgresBin } from './tests/helpers/pg-cluster';

/**
 * The tracker suites run on each storage backend: `integration` on SQLite, `integration-pg` on
 * PostgreSQL (tests/helpers/ledger-backend.ts). Files that hold no storage logic (network abuse,
 * command-line parsing of SQLite paths, SQLite migrations) run once; `ledger-pg-*` only on PostgreSQL.
 */
const TRACKER_SUITES = 'tests/integration/ledger-*.test.ts';
const PG_ONLY = 'tests/integration/ledger-pg-*.test.ts';
const SQLITE_ONLY = ['abuse', 'cli', 'frames', 'migrations'].map(
  (n) => `tests/integration/ledger-${n}.test.ts`,
);

const postgres = findPostgresBin();
// Where PostgreSQL cannot run, its suites are left out with the reason; CI installs it and must run them.
if ('missing' in postgres) {
  if (process.env.CI) throw new Error(`CI must run the PostgreSQL suites: ${postgres.missing}`);
  console.warn(`integration-pg skipped: ${postgres.missing} (apt-get install postgresql)`);
}

export default defineConfig({
  plugins: [vue()],
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'component',
          include: ['tests/component/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          exclude: [PG_ONLY],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Real trackers and RSA key generation: two cores, keep files from fighting over them.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      ...('bin' in postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'integration-pg',
                include: [TRACKER_SUITES],
                exclude: SQLITE_ONLY,
                environment: 'node',
                env: { LEDGER_BACKEND: 'postgres' },
                globalSetup: ['tests/helpers/pg-global-setup.ts'],
                testTimeout: 60_000,
                hookTimeout: 60_000,
                maxWorkers: 2,
                sequence: { groupOrder: 2 },
              },
            },
          ]
        : []),
    ],
  },
});
