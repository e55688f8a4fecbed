import { useAddressesStore } from './addresses';
import { useChannelsStore } from './channels';
import { useContactsStore } from './contacts';
import { useHistoryStore } from './history';
import { useLabelsStore } from './labels';
import { useNotificationsStore } from './notifications';
import { useSessionStore } from './session';
import { useSettingsStore } from './settings';

export { setTransport, transport } from './transport';
export {
  useAddressesStore,
  useChannelsStore,
  useContactsStore,
  useHistoryStore,
  useLabelsStore,
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
    useLabelsStore().bindEvents(),
  ];
  await useSessionStore().init();
  await useContactsStore()
    .load()
    .catch(() => undefined);
  // Lists show labels once they come; without them (an error) they show bare ids.
  void useLabelsStore()
    .load()
    .catch(() => undefined);
  return () => offs.forEach((off) => off());
}
