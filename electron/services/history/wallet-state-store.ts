/**
 * The last known states of each scope's addresses, channels and common address, as the wallet last
 * read them from the tracker (shown offline with their age). An older read never replaces a newer
 * one; a damaged or outdated row reads as absent, never as data.
 */
import type { z } from 'zod';
import {
  addressView,
  channelView,
  commonStateView,
  type AddressView,
  type ChannelView,
  type CommonStateView,
} from '../../../shared/api/models';
import type { CacheDb } from './cache-db';

/** Views are checked on the way out too: a damaged or outdated row reads as absent, never as data. */
function parseView<T>(schema: z.ZodType<T>, text: string): T | null {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** One keyed table of views: `key` is its key column beside scope_id. */
class ViewTable<T extends { readAt: number }> {
  constructor(
    private readonly c: CacheDb,
    private readonly table: string,
    private readonly key: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  upsert(scope: string, views: readonly T[], keyOf: (v: T) => string): void {
    const id = this.c.scopeId(scope, true);
    // A state read earlier than the stored one never replaces it.
    const st = this.c.prepared(`INSERT INTO ${this.table} (scope_id, ${this.key}, read_at, view)
      VALUES (?, ?, ?, ?) ON CONFLICT (scope_id, ${this.key}) DO UPDATE
      SET read_at = excluded.read_at, view = excluded.view WHERE excluded.read_at >= ${this.table}.read_at`);
    this.c.db.transaction(() => {
      for (const v of views) {
        const ok = this.schema.parse(v);
        st.run(id, keyOf(ok), ok.readAt, JSON.stringify(ok));
      }
    })();
  }

  get(scope: string, key: string): T | null {
    const row = this.c
      .prepared(`SELECT view FROM ${this.table} WHERE scope_id = ? AND ${this.key} = ?`)
      .get(this.c.scopeId(scope, false), key) as { view: string } | undefined;
    return row ? parseView(this.schema, row.view) : null;
  }

  list(scope: string): T[] {
    const rows = this.c
      .prepared(`SELECT view FROM ${this.table} WHERE scope_id = ? ORDER BY ${this.key}`)
      .all(this.c.scopeId(scope, false)) as { view: string }[];
    return rows.map((r) => parseView(this.schema, r.view)).filter((v): v is T => v !== null);
  }
}

export class WalletStateStore {
  private readonly addresses: ViewTable<AddressView>;
  private readonly channels: ViewTable<ChannelView>;
  private readonly commons: ViewTable<CommonStateView>;

  constructor(c: CacheDb) {
    this.addresses = new ViewTable(c, 'address_states', 'address', addressView);
    this.channels = new ViewTable(c, 'channel_states', 'channel_id', channelView);
    this.commons = new ViewTable(c, 'common_states', 'address', commonStateView);
  }

  upsertAddresses(scope: string, views: readonly AddressView[]): void {
    this.addresses.upsert(scope, views, (v) => v.address);
  }

  getAddress(scope: string, address: string): AddressView | null {
    return this.addresses.get(scope, address);
  }

  listAddresses(scope: string): AddressView[] {
    return this.addresses.list(scope);
  }

  upsertChannels(scope: string, views: readonly ChannelView[]): void {
    this.channels.upsert(scope, views, (v) => v.channelId);
  }

  getChannel(scope: string, channelId: string): ChannelView | null {
    return this.channels.get(scope, channelId);
  }

  listChannels(scope: string): ChannelView[] {
    return this.channels.list(scope);
  }

  /** One common address per scope: the identity's own. */
  setCommonState(scope: string, view: CommonStateView): void {
    this.commons.upsert(scope, [view], (v) => v.address);
  }

  getCommonState(scope: string): CommonStateView | null {
    return this.commons.list(scope)[0] ?? null;
  }
}
