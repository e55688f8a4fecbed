/**
 * Dialogs and forms of the UI defects of issue 7 (each test named after the defect it covers), over
 * the fake transport: what the user sees and which intents reach the main process.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { nextTick } from 'vue';
import NewChannelDialog from '../../renderer/src/components/channels/NewChannelDialog.vue';
import CloseChannelDialog from '../../renderer/src/components/channels/CloseChannelDialog.vue';
import PreferencesSection from '../../renderer/src/components/settings/PreferencesSection.vue';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useAddressesStore } from '../../renderer/src/stores/addresses';
import { useSettingsStore } from '../../renderer/src/stores/settings';
import type { ChannelPreview } from '../../shared/api/models';
import { FakeApi, address, channel, identity, settings, status } from './fake-api';
import { freshApp, must, mountIn, typeInto } from './mount-app';

let api: FakeApi;

beforeEach(() => {
  vi.useFakeTimers();
  api = new FakeApi();
  freshApp(api);
});
afterEach(() => {
  setTransport(null);
  vi.useRealTimers();
});

/** Alice (active, online) with one open spend address; Bob with an income address. */
function aliceAndBob() {
  const session = useSessionStore();
  session.identities = [identity(), identity({ id: 'id-bob', name: 'Bob', commonAddress: '0x0b9999' })];
  session.activeIdentityId = 'id-alice';
  session.status = status({ state: 'online', identityId: 'id-alice' });
  useAddressesStore().list = [address()];
  const bobIncome = address({
    address: '0x0d2222aaaaBBBBCCCCDDDDEEEEFFFFGGGGHHHHIIIIJJJJ==',
    kind: 'income',
    identityId: 'id-bob',
    priceAmount: '900',
  });
  api
    .handle('addresses.list', () => [bobIncome])
    .handle('channels.preview', (a) => ({
      reservation: String(BigInt(a.draft.priceTokens) * BigInt(a.draft.plannedQuantumCount)),
      plannedBytes: String(BigInt(a.draft.plannedQuantumCount) << BigInt(a.draft.pricePower)),
      problems: [],
    }));
  return { bobIncome };
}

/** Lets the debounced preview run and its answer arrive. */
async function settle(): Promise<void> {
  await flushPromises();
  await vi.advanceTimersByTimeAsync(400);
  await flushPromises();
}

describe('new channel dialog', () => {
  it('defect 1: New channel → Cancel → New channel previews the prefilled draft and enables Open', async () => {
    aliceAndBob();
    const w = mountIn(NewChannelDialog, { props: { open: true } });
    await settle();
    const preview = () => must('new-channel-preview');
    const submit = () => must<HTMLButtonElement>('new-channel-submit');
    expect(preview().dataset.state).toBe('ok');
    expect(submit().disabled).toBe(false);

    await w.setProps({ open: false });
    await settle();
    await w.setProps({ open: true });
    await settle();
    // The same prefilled values as before: previewed again, not "Fill in the fields…".
    expect(preview().dataset.state).toBe('ok');
    expect(preview().textContent).not.toContain('Fill in the fields');
    expect(submit().disabled).toBe(false);
    expect(api.callsOf('channels.preview').length).toBeGreaterThanOrEqual(2);
    w.unmount();
  });

  it('defect 4: a mistyped payee address is said to have a wrong checksum, next to the field', async () => {
    aliceAndBob();
    api.handle('channels.preview', () => ({
      reservation: '1100',
      plannedBytes: '1048576',
      problems: [
        {
          code: 'payeeChecksum',
          params: {},
          field: 'to',
          text: 'the payee address has a wrong checksum: it was mistyped',
        },
      ],
    }));
    const w = mountIn(NewChannelDialog, { props: { open: true } });
    await settle();
    must<HTMLInputElement>('new-channel-remote').click();
    await settle();
    typeInto(
      must<HTMLTextAreaElement>('new-channel-pem'),
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
    );
    typeInto(
      must<HTMLInputElement>('new-channel-remote-to'),
      '0x0d1234ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl==',
    );
    await settle();
    const message = must('new-channel-remote-to-error');
    expect(message.textContent).toContain('checksum of this address is wrong');
    // Beside its field, and the field says it is invalid and points at the message.
    expect(message.parentElement!.contains(must('new-channel-remote-to'))).toBe(true);
    expect(must('new-channel-remote-to').getAttribute('aria-invalid')).toBe('true');
    expect(must('new-channel-remote-to').getAttribute('aria-describedby')).toBe(message.id);
    expect(must<HTMLButtonElement>('new-channel-submit').disabled).toBe(true);
    w.unmount();
  });

  it('defect 5: limit problems carry formatted numbers in the UI language, in one unit system', async () => {
    aliceAndBob();
    api.handle('channels.preview', (): ChannelPreview => ({
      reservation: '12100',
      plannedBytes: '11534336',
      problems: [
        {
          code: 'overLimit',
          params: { reservationAtoms: '12100', limitAtoms: '11000' },
          field: 'planned',
          text: 'the reservation 12100 atoms exceeds the spend address limit 11000 atoms',
        },
        {
          code: 'priceAboveMax',
          params: { maxAtoms: '1100', maxPower: 20 },
          field: 'price',
          text: 'the price is above the spend address maximum of 1100 atoms per 2^20 bytes',
        },
      ],
    }));
    const w = mountIn(NewChannelDialog, { props: { open: true }, locale: 'ru' });
    await settle();
    const planned = must('new-channel-planned-error').textContent!.replace(/\u00a0|\u202f/g, ' ');
    expect(planned).toContain('12 100 атомов');
    expect(planned).toContain('11 000 атомов');
    const price = must('new-channel-price-error').textContent!.replace(/\u00a0|\u202f/g, ' ');
    expect(price).toContain('1 100 атомов за 1 МиБ');
    expect(price).not.toContain('2^');
    w.unmount();
  });
});

describe('close channel dialog', () => {
  it('defect 6: accepts 2.5 MiB and 2,5 MiB and converts them exactly; refuses half a byte', async () => {
    useSessionStore().identities = [identity()];
    api.handle('channels.previewClose', (a) => ({
      quantumCount: '3',
      tokens: '3000',
      volume: a.volume,
      problems: [],
    }));
    const w = mountIn(CloseChannelDialog, { props: { channel: channel({ plannedQuantumCount: '5' }) } });
    await nextTick();
    const input = must<HTMLInputElement>('close-channel-volume');
    const unit = must<HTMLSelectElement>('close-channel-unit');
    expect(unit.value).toBe('MiB');

    typeInto(input, '2.5');
    await settle();
    expect(api.callsOf('channels.previewClose').at(-1)).toEqual({ channelId: 'ch-1', volume: '2621440' });
    expect(must('close-channel-bytes').textContent).toBe('2.5 MiB');
    expect(document.querySelector('[data-testid="close-channel-volume-error"]')).toBeNull();
    expect(must<HTMLButtonElement>('close-channel-submit').disabled).toBe(false);

    typeInto(input, '2,5');
    await settle();
    expect(api.callsOf('channels.previewClose').at(-1)?.volume).toBe('2621440');

    unit.value = 'B';
    unit.dispatchEvent(new Event('change'));
    typeInto(input, '0.5');
    await settle();
    expect(must('close-channel-volume-error').textContent).toContain('whole number of bytes');
    expect(must<HTMLButtonElement>('close-channel-submit').disabled).toBe(true);
    w.unmount();
  });
});

describe('preferences', () => {
  it('defect 2: "Warn before expiry" cleared then 30 saves 30 min; 3 leaves no stale error', async () => {
    api.handle('settings.update', (patch) => ({ ...settings(), ...patch }));
    useSettingsStore().settings = settings({ expiryWarningLeadMs: 5 * 60_000 });
    const errors: unknown[] = [];
    const w = mountIn(PreferencesSection);
    w.vm.$.appContext.config.errorHandler = (e) => void errors.push(e);
    const input = must<HTMLInputElement>('settings-expiry-lead');
    expect(input.value).toBe('5');

    typeInto(input, '');
    await flushPromises();
    expect(must('settings-expiry-lead-error').textContent).not.toBe('');
    typeInto(input, '30');
    await flushPromises();
    expect(errors).toEqual([]);
    expect(document.querySelector('[data-testid="settings-expiry-lead-error"]')).toBeNull();
    expect(must('settings-preferences')).toBeTruthy();
    expect(api.callsOf('settings.update')).toEqual([{ expiryWarningLeadMs: 30 * 60_000 }]);

    typeInto(input, '3');
    await flushPromises();
    expect(document.querySelector('[data-testid="settings-expiry-lead-error"]')).toBeNull();
    expect(api.callsOf('settings.update').at(-1)).toEqual({ expiryWarningLeadMs: 3 * 60_000 });
    w.unmount();
  });
});
