/** Native notifications: one per typed event, in the user's language. */
import { describe, expect, it } from 'vitest';
import { NOTIFIED_EVENTS, notificationFor } from '../../electron/main/notification-texts';

describe('native notification texts', () => {
  it('names the address, the identity and the outcome, in English and Russian', () => {
    const warning = { identityId: 'i', kind: 'spend' as const, target: '0x0cabc', timeLock: 1 };
    expect(notificationFor('expiry.warning', warning, 'en', 'Alice').body).toBe(
      'Spend address 0x0cabc of Alice expires soon.',
    );
    expect(notificationFor('expiry.warning', warning, 'ru', 'Alice').body).toContain('0x0cabc');
    const failed = notificationFor(
      'autoRenew.failed',
      { identityId: 'i', kind: 'income', address: '0x0dabc', error: 'NO_FUNDS: empty' },
      'en',
      'Bob',
    );
    expect(failed).toMatchObject({ urgency: 'critical' });
    expect(failed.body).toContain('0x0dabc');
    expect(failed.body).toContain('NO_FUNDS: empty');
  });

  it('covers exactly the events worth a notification', () => {
    expect([...NOTIFIED_EVENTS].sort()).toEqual([
      'autoRenew.failed',
      'autoRenew.renewed',
      'expiry.expired',
      'expiry.warning',
    ]);
  });
});
