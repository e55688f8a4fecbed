import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { RequestResult } from '../../../shared/api/contract';
import type { ConnectionStatus, IdentityInfo, TextFile, TrackerProfile } from '../../../shared/api/models';
import { hostLink, transport, type HostState } from './transport';
import { useSettingsStore } from './settings';

export type AppInfo = RequestResult<'app.info'>;
export type Phase = 'loading' | 'onboarding' | 'ready' | 'failed';

const IDLE: ConnectionStatus = {
  profileId: null,
  identityId: null,
  state: 'idle',
  nextAttemptAt: null,
  lastOnlineAt: null,
  error: null,
  errorKind: null,
  offeredKey: null,
  offeredFingerprint: null,
};

/** A session in these states needs no new connect: it is up, or on its way, or waits for the user. */
const SESSION_UP: readonly ConnectionStatus['state'][] = [
  'online',
  'connecting',
  'reconnecting',
  'key_new',
  'key_changed',
];

function upsert<T extends { id: string }>(list: T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return [...list, item];
  const copy = list.slice();
  copy[i] = item;
  return copy;
}

/** Identities, trackers, the active pair and the connection: what every screen depends on. */
export const useSessionStore = defineStore('session', () => {
  const appInfo = ref<AppInfo | null>(null);
  const identities = ref<IdentityInfo[]>([]);
  const trackers = ref<TrackerProfile[]>([]);
  const status = ref<ConnectionStatus>({ ...IDLE });
  const activeIdentityId = ref<string | null>(null);
  const activeProfileId = ref<string | null>(null);
  const phase = ref<Phase>('loading');
  const initError = ref<unknown>(null);
  const connecting = ref(false);
  /** The served app's host link; null in Electron. */
  const host = ref<HostState | null>(null);
  /** Counts the host coming back after it was unreachable: views reload what they show. */
  const hostReturns = ref(0);
  /** The host went away after it had answered: nothing shown is current until it is back. */
  const hostDown = computed(() => host.value === 'reconnecting' || host.value === 'unauthorized');

  const activeIdentity = computed(
    () => identities.value.find((i) => i.id === activeIdentityId.value) ?? null,
  );
  const activeProfile = computed(() => trackers.value.find((p) => p.id === activeProfileId.value) ?? null);
  const statusProfile = computed(
    () => trackers.value.find((p) => p.id === (status.value.profileId ?? activeProfileId.value)) ?? null,
  );
  const embeddedProfile = computed(() => trackers.value.find((p) => p.embedded) ?? null);
  const passphraseMode = computed(() => appInfo.value?.keyProtection === 'passphrase');
  /** The active identity must be unlocked before it can sign (and so before it can connect). */
  const needsUnlock = computed(() => {
    const i = activeIdentity.value;
    return !!i && i.protection === 'passphrase' && !i.unlocked;
  });
  /** Online as far as the UI can act on it: the tracker session is up and the host answers. */
  const online = computed(() => status.value.state === 'online' && !hostDown.value);
  /**
   * What the data screens show: one identity on one tracker (profile and its pinned key). The
   * connection status names the profile the main process shows data of; stores reload when this
   * key changes and drop events about any other pair.
   */
  const viewKey = computed(
    () =>
      `${status.value.profileId ?? ''}|${statusProfile.value?.pinnedFingerprint ?? ''}|${activeIdentityId.value ?? ''}`,
  );
  function isShown(p: { identityId: string; profileId: string | null }): boolean {
    return p.identityId === activeIdentityId.value && p.profileId === status.value.profileId;
  }

  function identityName(id: string | null | undefined): string {
    return identities.value.find((i) => i.id === id)?.name ?? '';
  }

  /** Loads everything the shell needs, then lands on the last identity and tracker or on first run. */
  async function init(): Promise<void> {
    phase.value = 'loading';
    initError.value = null;
    try {
      const api = transport();
      const settingsStore = useSettingsStore();
      const [info, settings, ids, profiles, st] = await Promise.all([
        api.invoke('app.info', {}),
        settingsStore.load(),
        api.invoke('identities.list', {}),
        api.invoke('trackers.list', {}),
        api.invoke('trackers.status', {}),
      ]);
      appInfo.value = info;
      identities.value = ids;
      trackers.value = profiles;
      status.value = st;
      const lastId = st.identityId ?? settings.lastIdentityId;
      const lastProfile = st.profileId ?? settings.lastProfileId;
      const identity = ids.find((i) => i.id === lastId);
      const profile = profiles.find((p) => p.id === lastProfile);
      if (identity && profile) {
        activeIdentityId.value = identity.id;
        activeProfileId.value = profile.id;
        phase.value = 'ready';
        const alreadyUp =
          st.identityId === identity.id && st.profileId === profile.id && SESSION_UP.includes(st.state);
        // A locked identity cannot sign the handshake: the shell asks for the passphrase first.
        if (!alreadyUp && !needsUnlock.value) void connect(profile.id, identity.id).catch(() => undefined);
      } else {
        phase.value = 'onboarding';
      }
    } catch (e) {
      initError.value = e;
      phase.value = 'failed';
    }
  }

  async function connect(profileId: string, identityId: string): Promise<ConnectionStatus> {
    connecting.value = true;
    try {
      activeIdentityId.value = identityId;
      activeProfileId.value = profileId;
      status.value = await transport().invoke('trackers.connect', { profileId, identityId });
      phase.value = 'ready';
      void useSettingsStore()
        .update({ lastIdentityId: identityId, lastProfileId: profileId })
        .catch(() => undefined);
      return status.value;
    } finally {
      connecting.value = false;
    }
  }

  async function disconnect(): Promise<void> {
    status.value = await transport().invoke('trackers.disconnect', {});
  }

  async function acceptKey(): Promise<ConnectionStatus> {
    const profileId = status.value.profileId ?? activeProfileId.value;
    const fingerprint = status.value.offeredFingerprint;
    if (!profileId || !fingerprint)
      throw Object.assign(new Error('no key to accept'), { code: 'INVALID_ARGUMENT' });
    status.value = await transport().invoke('trackers.acceptKey', { profileId, fingerprint });
    return status.value;
  }

  async function switchIdentity(identityId: string): Promise<void> {
    const profileId = activeProfileId.value ?? embeddedProfile.value?.id;
    activeIdentityId.value = identityId;
    const i = identities.value.find((x) => x.id === identityId);
    if (profileId && i && !(i.protection === 'passphrase' && !i.unlocked))
      await connect(profileId, identityId);
  }

  async function switchTracker(profileId: string): Promise<void> {
    activeProfileId.value = profileId;
    if (activeIdentityId.value && !needsUnlock.value) await connect(profileId, activeIdentityId.value);
  }

  // Identities -------------------------------------------------------------------------------------

  async function createIdentity(name: string, passphrase?: string): Promise<IdentityInfo> {
    const info = await transport().invoke('identities.create', passphrase ? { name, passphrase } : { name });
    identities.value = upsert(identities.value, info);
    return info;
  }

  async function importIdentity(args: {
    name: string;
    pem: string;
    pemPassphrase?: string;
    passphrase?: string;
  }): Promise<IdentityInfo> {
    const clean: typeof args = { name: args.name, pem: args.pem };
    if (args.pemPassphrase) clean.pemPassphrase = args.pemPassphrase;
    if (args.passphrase) clean.passphrase = args.passphrase;
    const info = await transport().invoke('identities.import', clean);
    identities.value = upsert(identities.value, info);
    return info;
  }

  async function unlock(id: string, passphrase: string): Promise<IdentityInfo> {
    const info = await transport().invoke('identities.unlock', { id, passphrase });
    identities.value = upsert(identities.value, info);
    const profileId = activeProfileId.value;
    if (id === activeIdentityId.value && profileId) {
      const s = status.value;
      const up = s.identityId === id && ['online', 'connecting', 'reconnecting'].includes(s.state);
      if (!up) void connect(profileId, id).catch(() => undefined);
    }
    return info;
  }

  async function lock(id: string): Promise<IdentityInfo> {
    const info = await transport().invoke('identities.lock', { id });
    identities.value = upsert(identities.value, info);
    return info;
  }

  /** Drops every decrypted key now (what auto-lock does after the idle time). */
  async function lockAll(): Promise<IdentityInfo[]> {
    identities.value = await transport().invoke('identities.lockAll', {});
    return identities.value;
  }

  async function renameIdentity(id: string, name: string): Promise<IdentityInfo> {
    const info = await transport().invoke('identities.rename', { id, name });
    identities.value = upsert(identities.value, info);
    return info;
  }

  /** `confirmName`: the identity's name, typed again by the owner. */
  async function deleteIdentity(id: string, confirmName: string): Promise<boolean> {
    const { deleted } = await transport().invoke('identities.delete', { id, confirmName });
    if (deleted) {
      identities.value = identities.value.filter((i) => i.id !== id);
      if (activeIdentityId.value === id) {
        activeIdentityId.value = null;
        if (identities.value.length === 0) phase.value = 'onboarding';
      }
    }
    return deleted;
  }

  /** `passphrase`: the identity's own, asked again before its key leaves the app. */
  async function exportIdentity(
    id: string,
    exportPassphrase: string,
    passphrase?: string,
  ): Promise<TextFile> {
    return transport().invoke(
      'identities.export',
      passphrase ? { id, exportPassphrase, passphrase } : { id, exportPassphrase },
    );
  }

  async function setAutoRenew(id: string, autoRenew: boolean): Promise<IdentityInfo> {
    const info = await transport().invoke('identities.setAutoRenew', { id, autoRenew });
    identities.value = upsert(identities.value, info);
    return info;
  }

  // Trackers ---------------------------------------------------------------------------------------

  async function addTracker(name: string, url: string): Promise<TrackerProfile> {
    const p = await transport().invoke('trackers.add', { name, url });
    trackers.value = upsert(trackers.value, p);
    return p;
  }

  async function updateTracker(id: string, patch: { name?: string; url?: string }): Promise<TrackerProfile> {
    const p = await transport().invoke('trackers.update', { id, ...patch });
    trackers.value = upsert(trackers.value, p);
    return p;
  }

  async function removeTracker(id: string): Promise<boolean> {
    const { removed } = await transport().invoke('trackers.remove', { id });
    if (removed) {
      trackers.value = trackers.value.filter((p) => p.id !== id);
      if (activeProfileId.value === id) activeProfileId.value = null;
    }
    return removed;
  }

  /**
   * After the host was away (restarted, or the network between): what it says now replaces what
   * the events it could not send would have said; the pair reconnects unless it is up or locked.
   */
  /** Identities and tracker profiles again (after a backup was proven or a restore wrote them). */
  async function refreshIdentities(): Promise<void> {
    const api = transport();
    const [ids, profiles] = await Promise.all([
      api.invoke('identities.list', {}),
      api.invoke('trackers.list', {}),
    ]);
    identities.value = ids;
    trackers.value = profiles;
  }

  async function resync(): Promise<void> {
    const api = transport();
    const [ids, profiles, st] = await Promise.all([
      api.invoke('identities.list', {}),
      api.invoke('trackers.list', {}),
      api.invoke('trackers.status', {}),
      useSettingsStore().load(),
    ]);
    identities.value = ids;
    trackers.value = profiles;
    status.value = st;
    hostReturns.value++;
    const identityId = activeIdentityId.value;
    const profileId = activeProfileId.value;
    const up = SESSION_UP.includes(st.state);
    if (identityId && profileId && !up && !needsUnlock.value)
      void connect(profileId, identityId).catch(() => undefined);
  }

  function bindEvents(): () => void {
    const api = transport();
    const link = hostLink();
    let hostWasDown = false;
    if (link) host.value = link.state;
    const offs = [
      link?.onState((s) => {
        host.value = s;
        // A refused tab that signs in again is loaded afresh by main.ts (init), not here.
        if (s === 'reconnecting') hostWasDown = true;
        else if (s === 'unauthorized') hostWasDown = false;
        else if (s === 'open' && hostWasDown) {
          hostWasDown = false;
          if (phase.value === 'ready') void resync().catch(() => undefined);
        }
      }) ?? (() => undefined),
      api.on('connection', (s) => {
        status.value = s;
      }),
      api.on('identities.changed', (list) => {
        identities.value = list;
      }),
      api.on('trackers.changed', (list) => {
        trackers.value = list;
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  return {
    appInfo,
    identities,
    trackers,
    status,
    activeIdentityId,
    activeProfileId,
    phase,
    initError,
    connecting,
    host,
    hostDown,
    hostReturns,
    activeIdentity,
    activeProfile,
    statusProfile,
    embeddedProfile,
    passphraseMode,
    needsUnlock,
    online,
    viewKey,
    isShown,
    identityName,
    init,
    resync,
    refreshIdentities,
    connect,
    disconnect,
    acceptKey,
    switchIdentity,
    switchTracker,
    createIdentity,
    importIdentity,
    unlock,
    lock,
    renameIdentity,
    deleteIdentity,
    exportIdentity,
    lockAll,
    setAutoRenew,
    addTracker,
    updateTracker,
    removeTracker,
    bindEvents,
  };
});
