/**
 * Real traffic for one peer key on a standalone tracker, over the bare protocol (RawClient): the
 * test holds the same private key the app imported, so everything here lands in that identity's
 * history. Much faster than clicking through the UI a few hundred times.
 */
import { randomUUID } from 'node:crypto';
import { RawClient, TestPeer, resultOf, twoSigned, type Frame } from '../helpers/raw-client';

const MiB = 2 ** 20;

export interface TrafficCounts {
  /** Transactions written per type code (2 open income, 4 open spend, 8/16 channel, 32/64 close). */
  byType: Record<number, number>;
  total: number;
  /** Income addresses opened and closed again without earnings (one open + one close item each). */
  closedIncomes: string[];
  /** Channel ids with the atoms each one settled. */
  channels: { channelId: string; tokens: number; volume: number }[];
}

function ok(f: Frame): Record<string, unknown> {
  return resultOf<Record<string, unknown>>(f);
}

/**
 * Writes `rounds` (at most 11) rounds of: `incomesPerRound` income addresses opened (pipelined), a third of them
 * closed, and a transfer channel from the peer's spend address to one of its income addresses opened
 * and closed with a settlement. Rounds are spread over time so the history chart has a shape.
 */
export async function generateTraffic(
  url: string,
  peer: TestPeer,
  opts: { rounds: number; incomesPerRound: number; pauseMs?: number },
): Promise<TrafficCounts> {
  if (opts.rounds > 11) throw new Error('one spend address pays for 11 channels at most');
  const client = await RawClient.connect(url);
  const byType: Record<number, number> = {};
  const count = (type: number, n = 1) => (byType[type] = (byType[type] ?? 0) + n);
  const closedIncomes: string[] = [];
  const channels: TrafficCounts['channels'] = [];
  try {
    ok(await client.request(1, peer.pemPayload()));
    const spend = ok(await client.request(4, peer.pemPayload())).address as string;
    count(4);
    const pem = peer.pemPayload(); // deterministic signature: one payload serves every open
    for (let round = 0; round < opts.rounds; round++) {
      const frames = await Promise.all(
        Array.from({ length: opts.incomesPerRound }, () => client.request(2, pem)),
      );
      const incomes = frames.map((f) => ok(f).address as string);
      count(2, incomes.length);
      const toClose = incomes.slice(0, Math.floor(incomes.length / 3));
      await Promise.all(toClose.map(async (a) => ok(await client.request(32, peer.json({ address: a })))));
      count(64, toClose.length);
      closedIncomes.push(...toClose);

      // The peer pays itself for up to 1 MiB over a channel of 1 quantum at 1,000 atoms per MiB
      // (11 rounds fit the 11,000 atoms of the spend address).
      const contract = {
        channelId: `e2e-${randomUUID()}`,
        fromAddress: spend,
        toAddress: incomes[incomes.length - 1]!,
        priceTokens: '1000',
        priceQuantumPower: 20,
        plannedQuantumCount: 1,
      };
      ok(await client.request(8, twoSigned(peer, peer, contract)));
      count(8);
      const volume = 200_000 + ((round * 80_000) % (MiB - 200_000));
      const quantumCount = 1;
      const tokens = 1000;
      ok(
        await client.request(
          16,
          twoSigned(peer, peer, { ...contract, quantumCount, tokens: String(tokens), volume }),
        ),
      );
      count(16);
      channels.push({ channelId: contract.channelId, tokens, volume });
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  } finally {
    client.close();
  }
  const total = Object.values(byType).reduce((s, n) => s + n, 0);
  return { byType, total, closedIncomes, channels };
}
