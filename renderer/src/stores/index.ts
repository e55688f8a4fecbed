import { useAddressesStore } from './addresses';
import { useChannelsStore } from './channels';
import { useContactsStore } from './contacts';
import { useHistoryStore } from './history';
import { useNotificationsStore } from './notifications';
import { useSessionStore } from './session';
import { useSettingsStore } from './settings';

export { setTransport, transport } from './transport';
export {
  useAddressesStore,
  useChannelsStore,
  useContactsStore,
  useHistoryStore,
  useNotificationsStore,
  useSessionStore,
  useSettingsStore,
};
export { useUiStore } from './ui';

/** Subscribes every store to its events, then loads the session. Returns the unsubscribe. */
export async function startApp(): Promise<() => void> {
  const offs = [
    useSettingsStore().bindEvents(),
    useSessionStore().bindEvents(),
    useNotificationsStore().bindEvents(),
    useAddressesStore().bindEvents(),
    useChannelsStore().bindEvents(),
    useContactsStore().bindEvents(),
    useHistoryStore().bindEvents(),
  ];
  await useSessionStore().init();
  await useContactsStore()
    .load()
    .catch(() => undefined);
  return () => offs.forEach((off) => off());
}
