/** Adapts the protocol client (TrackerClient) to what the wallet service needs (TrackerApi). */
import type { TrackerClient, AddressState } from '../tracker/commands';
import type { AddressStateData, TrackerApi } from '../channels/ports';

function stateData(s: AddressState): AddressStateData {
  return {
    address: s.address,
    amount: s.current.amount,
    quantumVolume: s.current.quantumVolume,
    volume: s.current.volume,
    limitAmount: s.limit.amount,
    limitQuantumVolume: s.limit.quantumVolume,
    priceAmount: s.price.amount,
    pricePower: s.price.quantumPower,
    timeLock: s.timeLock,
  };
}

export function trackerApiOf(client: TrackerClient): TrackerApi {
  return {
    openAddress: async (kind, signer) =>
      stateData(kind === 'spend' ? await client.openSpend(signer) : await client.openIncome(signer)),
    closeAddress: async (kind, signer, address) => {
      const r =
        kind === 'spend'
          ? await client.closeSpend(signer, address)
          : await client.closeIncome(signer, address);
      return r.state
        ? { amount: r.state.amount, quantumVolume: r.state.quantumVolume, volume: r.state.volume }
        : null;
    },
    addressState: async (kind, signer, address) =>
      stateData(
        kind === 'spend'
          ? await client.spendState(signer, address)
          : await client.incomeState(signer, address),
      ),
    openTransfer: async (payload) => ({ timeLock: (await client.openTransfer(payload)).timeLock }),
    closeTransfer: async (payload) => {
      await client.closeTransfer(payload);
    },
    channelState: async (signer, channelId) => (await client.channelState(signer, channelId)).state,
    commonState: async (signer, address) => {
      const s = await client.commonState(signer, address);
      return {
        address: s.address,
        fact: s.state.own.fact,
        plan: s.state.own.plan,
        profit: s.state.profit,
        foreignFact: s.state.foreign.fact,
        foreignPlan: s.state.foreign.plan,
      };
    },
  };
}
