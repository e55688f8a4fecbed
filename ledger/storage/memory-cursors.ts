/**
 * History cursors in the tracker's memory (SPEC §4): TTL from creation or last use, at most
 * `perKey` per requesting key and `total` overall; the least recently used go first.
 */
import type { CursorRecord, CursorStore } from './port';

interface Live {
  record: CursorRecord;
  expiresAt: number;
}

export interface CursorLimits {
  ttlMs: number;
  perKey: number;
  total: number;
}

export class MemoryCursorStore implements CursorStore {
  /** Insertion order = least recently used first; with one TTL that is also expiry order. */
  private readonly live = new Map<string, Live>();
  private readonly byOwner = new Map<string, Set<string>>();

  constructor(private readonly limits: CursorLimits) {}

  async create(record: CursorRecord, now: number): Promise<void> {
    this.sweep(now);
    const own = this.byOwner.get(record.query.ownerId);
    if (own) {
      // Sets keep insertion order too, and use() re-inserts: the first is the least recently used.
      for (const id of own) {
        if (own.size < this.limits.perKey) break;
        this.drop(id);
      }
    }
    for (const id of this.live.keys()) {
      if (this.live.size < this.limits.total) break;
      this.drop(id);
    }
    this.insert(record, now);
  }

  async use(id: string, ownerId: string, now: number): Promise<CursorRecord | undefined> {
    this.sweep(now);
    const c = this.live.get(id);
    if (!c || c.record.query.ownerId !== ownerId) return undefined;
    this.drop(id);
    this.insert(c.record, now);
    return c.record;
  }

  async count(now: number): Promise<number> {
    this.sweep(now);
    return this.live.size;
  }

  private insert(record: CursorRecord, now: number): void {
    this.live.set(record.id, { record, expiresAt: now + this.limits.ttlMs });
    let own = this.byOwner.get(record.query.ownerId);
    if (!own) this.byOwner.set(record.query.ownerId, (own = new Set()));
    own.add(record.id);
  }

  private drop(id: string): void {
    const c = this.live.get(id);
    if (!c) return;
    this.live.delete(id);
    const own = this.byOwner.get(c.record.query.ownerId)!;
    own.delete(id);
    if (own.size === 0) this.byOwner.delete(c.record.query.ownerId);
  }

  private sweep(now: number): void {
    for (const [id, c] of this.live) {
      if (c.expiresAt > now) break;
      this.drop(id);
    }
  }
}
