import { useI18n } from 'vue-i18n';
import { describeError } from '../util/errors';
import { useNotificationsStore } from '../stores/notifications';

/** `describe(e)`: the tracker's or app's error in plain translated words; `report(e)`: the same as a toast. */
export function useErrors() {
  const { t, te } = useI18n();
  const notifications = useNotificationsStore();
  const describe = (e: unknown) =>
    describeError(
      e,
      (k, p) => t(k, p ?? {}),
      (k) => te(k),
    );
  const report = (e: unknown) => notifications.error(describe(e));
  return { describe, report };
}
