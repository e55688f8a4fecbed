import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ConnectionState } from '../../../shared/api/models';
import { transport } from './transport';
import { useSessionStore } from './session';

export interface Toast {
  id: number;
  level: 'info' | 'warning' | 'error';
  /** i18n key; `text` is shown when the key is unknown to the renderer. */
  key: string;
  params: Record<string, string | number>;
  text: string;
  /** The service's wording behind a "details" disclosure (errors). */
  detail: string | null;
  at: number;
  /** How many times this same message came in a row (merged into one toast). */
  count: number;
}

export const TOAST_TTL: Record<Toast['level'], number | null> = { info: 6000, warning: 12000, error: null };
/** At most this many toasts at once: the oldest make room (they never cover a whole table). */
export const MAX_TOASTS = 3;

type NewToast = Omit<Toast, 'id' | 'at' | 'count' | 'detail'> & { at?: number; detail?: string | null };

function sameMessage(a: Toast, b: NewToast): boolean {
  return (
    a.level === b.level &&
    a.key === b.key &&
    a.text === b.text &&
    (a.detail ?? null) === (b.detail ?? null) &&
    JSON.stringify(a.params) === JSON.stringify(b.params)
  );
}

export const useNotificationsStore = defineStore('notifications', () => {
  const session = useSessionStore();
  const toasts = ref<Toast[]>([]);
  let seq = 0;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();

  function arm(toast: Toast): void {
    clearTimer(toast.id);
    const ttl = TOAST_TTL[toast.level];
    if (ttl !== null)
      timers.set(
        toast.id,
        setTimeout(() => dismiss(toast.id), ttl),
      );
  }

  /** Shows a message; the same message again only counts up (and stays longer) on its toast. */
  function push(n: NewToast): number {
    const at = n.at ?? Date.now();
    const repeat = toasts.value.find((t) => sameMessage(t, n));
    if (repeat) {
      const merged: Toast = { ...repeat, at, count: repeat.count + 1 };
      toasts.value = [...toasts.value.filter((t) => t.id !== repeat.id), merged];
      arm(merged);
      return merged.id;
    }
    const toast: Toast = { ...n, detail: n.detail ?? null, id: ++seq, at, count: 1 };
    const list = [...toasts.value, toast];
    while (list.length > MAX_TOASTS) {
      // Make room with the oldest passing message; an error waits for its dismissal unless all are errors.
      const i = list.findIndex((t) => t.level !== 'error');
      const [dropped] = list.splice(i >= 0 && i < list.length - 1 ? i : 0, 1);
      if (dropped) clearTimer(dropped.id);
    }
    toasts.value = list;
    arm(toast);
    return toast.id;
  }

  function clearTimer(id: number): void {
    const t = timers.get(id);
    if (t) clearTimeout(t);
    timers.delete(id);
  }

  function dismiss(id: number): void {
    clearTimer(id);
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }

  function clear(): void {
    for (const id of [...timers.keys()]) clearTimer(id);
    toasts.value = [];
  }

  function info(key: string, params: Record<string, string | number> = {}, text = key): number {
    return push({ level: 'info', key, params, text });
  }

  function error(text: string, detail: string | null = null): number {
    return push({ level: 'error', key: '', params: {}, text, detail });
  }

  function bindEvents(): () => void {
    const api = transport();
    let lastState: ConnectionState | null = null;
    const who = (identityId: string) => session.identityName(identityId) || identityId;
    const offs = [
      api.on('expiry.warning', (p) =>
        push({
          level: 'warning',
          key: `notify.expiryWarning.${p.kind}`,
          params: { target: p.target, identity: who(p.identityId), timeLock: p.timeLock },
          text: `${p.kind} ${p.target} expires soon`,
        }),
      ),
      api.on('expiry.expired', (p) =>
        push({
          level: 'warning',
          key: `notify.expired.${p.kind}`,
          params: { target: p.target, identity: who(p.identityId) },
          text: `${p.kind} ${p.target} expired`,
        }),
      ),
      api.on('autoRenew.renewed', (p) =>
        push({
          level: 'info',
          key: `notify.renewed.${p.kind}`,
          params: { closed: p.closed, opened: p.opened, identity: who(p.identityId) },
          text: `${p.kind} address renewed`,
        }),
      ),
      api.on('autoRenew.failed', (p) =>
        push({
          level: 'error',
          key: 'notify.renewFailed',
          params: { target: p.address, identity: who(p.identityId), error: p.error },
          text: `auto-renew of ${p.address} failed: ${p.error}`,
        }),
      ),
      api.on('connection', (s) => {
        const prev = lastState;
        lastState = s.state;
        if (prev === 'online' && (s.state === 'reconnecting' || s.state === 'offline')) {
          push({ level: 'warning', key: 'notify.connectionLost', params: {}, text: 'Connection lost' });
        } else if ((prev === 'reconnecting' || prev === 'offline') && s.state === 'online') {
          push({ level: 'info', key: 'notify.reconnected', params: {}, text: 'Connected again' });
        } else if (s.state === 'key_changed' && prev !== 'key_changed') {
          push({ level: 'error', key: 'notify.keyChanged', params: {}, text: 'The tracker key changed' });
        }
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  return { toasts, push, dismiss, clear, info, error, bindEvents };
});
