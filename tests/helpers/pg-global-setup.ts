/**
 * Global setup of the `integration-pg` vitest project: one throwaway PostgreSQL cluster for the run
 * (each tracker creates a database of its own on it), removed at the end.
 */
import { PgCluster } from './pg-cluster';

export default async function setup(): Promise<() => Promise<void>> {
  const cluster = await PgCluster.create();
  process.env.LEDGER_PG_ADMIN_URL = cluster.url();
  return () => cluster.remove();
}
