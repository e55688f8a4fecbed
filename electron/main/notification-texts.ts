/**
 * What the Electron shell says in a native notification for each typed event that deserves one
 * (expiry warnings and expiries, auto-renew results), in the user's language. No `electron` import:
 * tested in plain Node.
 */
import type { EventPayload } from '../../shared/api/contract';

export const NOTIFIED_EVENTS = [
  'expiry.warning',
  'expiry.expired',
  'autoRenew.renewed',
  'autoRenew.failed',
] as const;
export type NotifiedEvent = (typeof NOTIFIED_EVENTS)[number];

export interface NativeNotification {
  title: string;
  body: string;
  urgency: 'normal' | 'critical';
}

type Kind = 'spend' | 'income' | 'channel';
type Language = 'en' | 'ru';

const KIND: Record<Language, Record<Kind, string>> = {
  en: { spend: 'Spend address', income: 'Income address', channel: 'Channel' },
  ru: { spend: 'Адрес расходов', income: 'Адрес доходов', channel: 'Канал' },
};

type Params = Record<'kind' | 'identity' | 'target' | 'closed' | 'opened' | 'error', string>;

const TEXTS: Record<Language, Record<NotifiedEvent, (p: Params) => string>> = {
  en: {
    'expiry.warning': (p) => `${p.kind} ${p.target} of ${p.identity} expires soon.`,
    'expiry.expired': (p) => `${p.kind} ${p.target} of ${p.identity} has expired.`,
    'autoRenew.renewed': (p) => `${p.kind} ${p.closed} of ${p.identity} was renewed as ${p.opened}.`,
    'autoRenew.failed': (p) => `Auto-renew of ${p.kind} ${p.target} of ${p.identity} failed: ${p.error}`,
  },
  ru: {
    'expiry.warning': (p) => `${p.kind} ${p.target} (${p.identity}) скоро истекает.`,
    'expiry.expired': (p) => `${p.kind} ${p.target} (${p.identity}) истёк.`,
    'autoRenew.renewed': (p) => `${p.kind} ${p.closed} (${p.identity}) заменён новым: ${p.opened}.`,
    'autoRenew.failed': (p) => `Не удалось автоматически обновить ${p.target} (${p.identity}): ${p.error}`,
  },
};

/** The notification for an event; `identity` is the identity's name. */
export function notificationFor<E extends NotifiedEvent>(
  event: E,
  payload: EventPayload<E>,
  language: Language,
  identity: string,
): NativeNotification {
  const p = payload as Record<string, unknown>;
  const kind = KIND[language][p.kind as Kind];
  const params: Params = {
    kind,
    identity,
    target: String(p.target ?? p.address ?? ''),
    closed: String(p.closed ?? ''),
    opened: String(p.opened ?? ''),
    error: String(p.error ?? ''),
  };
  return {
    title: 'Wallet Tracker',
    body: TEXTS[language][event](params),
    urgency: event === 'autoRenew.failed' || event === 'expiry.expired' ? 'critical' : 'normal',
  };
}
