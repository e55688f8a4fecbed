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
  at: number;
}

export const TOAST_TTL: Record<Toast['level'], number | null> = { info: 6000, warning: 12000, error: null };
const MAX_TOASTS = 6;

export const useNotificationsStore = defineStore('notifications', () => {
  const session = useSessionStore();
  const toasts = ref<Toast[]>([]);
  let seq = 0;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();

  function push(n: Omit<Toast, 'id' | 'at'> & { at?: number }): number {
    const id = ++seq;
    const toast: Toast = { ...n, id, at: n.at ?? Date.now() };
    const list = [...toasts.value, toast];
    while (list.length > MAX_TOASTS) {
      const dropped = list.shift();
      if (dropped) clearTimer(dropped.id);
    }
    toasts.value = list;
    const ttl = TOAST_TTL[toast.level];
    if (ttl !== null)
      timers.set(
        id,
        setTimeout(() => dismiss(id), ttl),
      );
    return id;
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
    for (const id of timers.keys()) clearTimer(id);
    toasts.value = [];
  }

  function info(key: string, params: Record<string, string | number> = {}, text = key): number {
    return push({ level: 'info', key, params, text });
  }

  function error(text: string): number {
    return push({ level: 'error', key: '', params: {}, text });
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
