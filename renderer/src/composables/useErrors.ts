import { useI18n } from 'vue-i18n';
import { describeError, explainError } from '../util/errors';
import { useNotificationsStore } from '../stores/notifications';

/**
 * `describe(e)`: the error as one plain translated sentence; `report(e)`: the same as a toast, with
 * the service's detail behind its "details" disclosure.
 */
export function useErrors() {
  const { t, te } = useI18n();
  const notifications = useNotificationsStore();
  const tr = (k: string, p?: Record<string, unknown>) => t(k, p ?? {});
  const has = (k: string) => te(k);
  const describe = (e: unknown) => describeError(e, tr, has);
  const report = (e: unknown) => {
    const { sentence, detail, code } = explainError(e, tr, has);
    return notifications.error(sentence, detail ? `${code}: ${detail}` : null);
  };
  return { describe, report };
}
