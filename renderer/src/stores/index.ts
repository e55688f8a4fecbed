import { useAddressesStore } from './addresses';
import { useChannelsStore } from './channels';
import { useHistoryStore } from './history';
import { useNotificationsStore } from './notifications';
import { useSessionStore } from './session';
import { useSettingsStore } from './settings';

export { setTransport, transport } from './transport';
export {
  useAddressesStore,
  useChannelsStore,
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
    useHistoryStore().bindEvents(),
  ];
  await useSessionStore().init();
  return () => offs.forEach((off) => off());
}
