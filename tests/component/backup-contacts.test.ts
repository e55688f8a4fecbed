/**
 * The backup, delete-identity, first-use tracker key and contacts UI (issue 9 §2–3) over the fake
 * transport: what the owner sees and which intents reach the main process.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import IdentitiesSection from '../../renderer/src/components/settings/IdentitiesSection.vue';
import BackupWizard from '../../renderer/src/components/backup/BackupWizard.vue';
import RestoreDialog from '../../renderer/src/components/backup/RestoreDialog.vue';
import TrustTrackerDialog from '../../renderer/src/components/layout/TrustTrackerDialog.vue';
import ContactsView from '../../renderer/src/components/contacts/ContactsView.vue';
import StatusBar from '../../renderer/src/components/layout/StatusBar.vue';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useContactsStore } from '../../renderer/src/stores/contacts';
import { useChannelsStore } from '../../renderer/src/stores/channels';
import type { BackupOpened, RestorePlan } from '../../shared/api/backup';
import type { ContactInfo } from '../../shared/api/contacts';
import type { FileReview } from '../../shared/api/models';
import { FakeApi, channel, identity, profile, settings, status } from './fake-api';
import { byTestId, freshApp, must, mountIn, typeInto } from './mount-app';

let api: FakeApi;

beforeEach(() => {
  api = new FakeApi();
  freshApp(api);
});
afterEach(() => {
  setTransport(null);
});

const BACKUP_TEXT = '{"format":"wallet-tracker/backup","version":1}';

function plan(over: Partial<RestorePlan> = {}): RestorePlan {
  return {
    mode: 'new',
    identities: {
      add: [{ name: 'Alice', fingerprint: 'aa:bb', renamedFrom: null, sealedWith: 'identity' }],
      keep: [],
    },
    contacts: { add: 1, keep: 0 },
    trackers: { add: ['Shared'], keep: 0, conflicts: [] },
    labels: { add: 0, keep: 0 },
    settings: true,
    ...over,
  };
}

function opened(over: Partial<RestorePlan> = {}): BackupOpened {
  return {
    summary: {
      createdAt: 1_795_000_000_000,
      appVersion: '0.1.0',
      identities: [{ name: 'Alice', fingerprint: 'aa:bb' }],
      contacts: 1,
      labels: 0,
      trackers: [{ name: 'Shared', url: 'wss://t.example' }],
    },
    plan: plan(over),
  };
}

/** Chooses a file in a FileOpen (its hidden input), as the browser's picker does. */
/** Types, then lets Vue re-render what depends on the value (a button's disabled state). */
async function typed(id: string, value: string): Promise<void> {
  typeInto(must<HTMLInputElement>(id), value);
  await flushPromises();
}

async function chooseFile(testid: string, name: string, text: string): Promise<void> {
  const input = must<HTMLInputElement>(`${testid}-input`);
  Object.defineProperty(input, 'files', { value: [new File([text], name)], configurable: true });
  input.dispatchEvent(new Event('change'));
  await flushPromises();
}

function contact(over: Partial<ContactInfo> = {}): ContactInfo {
  return {
    id: 'c-bob',
    name: 'Bob',
    publicPem: '-----BEGIN PUBLIC KEY-----\nBOB\n-----END PUBLIC KEY-----\n',
    fingerprint: 'b0b0:b0b0:b0b0:b0b0',
    commonAddress: '0x0bB0B',
    createdAt: 1,
    ...over,
  };
}

describe('deleting an identity', () => {
  it('takes its name typed again, and warns loudly when it was never backed up', async () => {
    const session = useSessionStore();
    session.identities = [identity({ backedUpAt: null })];
    api.handle('identities.delete', () => ({ deleted: true }));
    const w = mountIn(IdentitiesSection);
    expect(must('identity-not-backed-up').textContent).toContain('not backed up');
    must('identity-delete').click();
    await flushPromises();
    expect(must('confirm-delete-identity-never-backed-up').textContent).toContain('never backed up');
    const ok = () => must<HTMLButtonElement>('confirm-delete-identity-ok');
    expect(ok().disabled).toBe(true);
    await typed('confirm-delete-identity-name', 'alice');
    await flushPromises();
    expect(ok().disabled).toBe(true);
    ok().closest('form')!.dispatchEvent(new Event('submit'));
    await flushPromises();
    expect(api.callsOf('identities.delete')).toEqual([]);
    await typed('confirm-delete-identity-name', 'Alice');
    await flushPromises();
    expect(ok().disabled).toBe(false);
    ok().click();
    await flushPromises();
    expect(api.callsOf('identities.delete')).toEqual([{ id: 'id-alice', confirmName: 'Alice' }]);
    w.unmount();
  });

  it('a backed-up identity shows no warning', async () => {
    useSessionStore().identities = [identity()];
    const w = mountIn(IdentitiesSection);
    expect(byTestId('identity-not-backed-up')).toBeNull();
    must('identity-delete').click();
    await flushPromises();
    expect(byTestId('confirm-delete-identity-never-backed-up')).toBeNull();
    w.unmount();
  });
});

describe('the backup wizard', () => {
  it('saves, then counts the backup only once the saved file opened with its passphrase', async () => {
    useSessionStore().identities = [identity({ backedUpAt: null })];
    api
      .handle('backup.create', () => ({
        fileName: 'wallet-backup-x.wtbackup',
        path: '/d/exports/x',
        cancelled: false,
      }))
      .handle('backup.open', (a) => {
        if (a.passphrase !== 'backup pass 1')
          throw Object.assign(new Error('the passphrase of this backup is wrong'), {
            code: 'WRONG_PASSPHRASE',
          });
        return opened({ mode: 'merge' });
      })
      .handle('identities.list', () => [identity({ backedUpAt: 1_795_000_000_000 })])
      .handle('trackers.list', () => [profile()]);
    const w = mountIn(BackupWizard, { props: { testid: 'bw' } });

    // Too short, then mismatched: nothing is written.
    await typed('bw-passphrase', 'short');
    must('bw-save').click();
    await flushPromises();
    expect(must('bw-passphrase-error').textContent).not.toBe('');
    await typed('bw-passphrase', 'backup pass 1');
    await typed('bw-confirm', 'backup pass 2');
    must('bw-save').click();
    await flushPromises();
    expect(api.callsOf('backup.create')).toEqual([]);

    await typed('bw-confirm', 'backup pass 1');
    must('bw-save').click();
    await flushPromises();
    expect(api.callsOf('backup.create')).toEqual([{ passphrase: 'backup pass 1' }]);
    expect(must('bw-saved').textContent).toContain('wallet-backup-x.wtbackup');
    expect(must<HTMLButtonElement>('bw-verify').disabled).toBe(true);

    await chooseFile('bw-file', 'wallet-backup-x.wtbackup', BACKUP_TEXT);
    expect(must('bw-file-name').textContent).toContain('wallet-backup-x.wtbackup');
    await typed('bw-verify-passphrase', 'not it at all');
    must('bw-verify').click();
    await flushPromises();
    expect(must('bw-error').textContent).toContain('wrong');
    expect(byTestId('bw-verified')).toBeNull();
    expect(w.emitted('done')).toBeUndefined();

    await typed('bw-verify-passphrase', 'backup pass 1');
    must('bw-verify').click();
    await flushPromises();
    expect(api.callsOf('backup.open').at(-1)).toEqual({ content: BACKUP_TEXT, passphrase: 'backup pass 1' });
    expect(must('bw-verified').textContent).toContain('1');
    expect(w.emitted('done')).toHaveLength(1);
    // The identity's "not backed up" is gone: the list was read again.
    expect(useSessionStore().identities[0]!.backedUpAt).not.toBeNull();
    w.unmount();
  });

  it('can be skipped where the caller allows it', async () => {
    const w = mountIn(BackupWizard, { props: { testid: 'bw', skippable: true } });
    must('bw-skip').click();
    expect(w.emitted('skip')).toHaveLength(1);
    w.unmount();
  });
});

describe('restoring a backup', () => {
  it('previews what the file holds and restores in the mode the preview showed', async () => {
    api
      .handle('backup.open', () => opened({ mode: 'merge', identities: { add: [], keep: ['Alice'] } }))
      .handle('backup.restore', (a) => plan({ mode: a.mode }))
      .handle('identities.list', () => [identity()])
      .handle('trackers.list', () => [profile()])
      .handle('settings.get', () => settings())
      .handle('contacts.list', () => [contact()]);
    const w = mountIn(RestoreDialog, { props: { open: false } });
    await w.setProps({ open: true });
    await chooseFile('restore-file', 'b.wtbackup', BACKUP_TEXT);
    await typed('restore-passphrase', 'backup pass 1');
    must('restore-open').click();
    await flushPromises();
    expect(must('restore-identities').textContent).toContain('Alice');
    expect(must('restore-plan').textContent).toContain('Nothing here is changed');
    must('restore-confirm').click();
    await flushPromises();
    expect(api.callsOf('backup.restore')).toEqual([
      { content: BACKUP_TEXT, passphrase: 'backup pass 1', mode: 'merge' },
    ]);
    expect(w.emitted('restored')).toHaveLength(1);
    expect(useContactsStore().contacts.map((c) => c.name)).toEqual(['Bob']);
    w.unmount();
  });
});

describe('trust on first use', () => {
  const offered = 'ab12:cd34:ef56:7890:ab12:cd34:ef56:7890';

  it('shows the remote tracker’s fingerprint and pins it only on Trust', async () => {
    const session = useSessionStore();
    session.trackers = [profile({ id: 'p-remote', name: 'Remote', url: 'wss://r.example', embedded: false })];
    session.status = status({ state: 'key_new', profileId: 'p-remote', offeredFingerprint: offered });
    api.handle('trackers.acceptKey', () => status({ state: 'connecting', profileId: 'p-remote' }));
    const w = mountIn(TrustTrackerDialog);
    await flushPromises();
    expect(must('trust-tracker').textContent).toContain('Remote');
    expect(must('trust-tracker-fingerprint').textContent!.replace(/\s/g, '')).toBe(offered);
    must('trust-tracker-accept').click();
    await flushPromises();
    expect(api.callsOf('trackers.acceptKey')).toEqual([{ profileId: 'p-remote', fingerprint: offered }]);
    expect(byTestId('trust-tracker')).toBeNull();
    w.unmount();
  });

  it('Do not trust disconnects and pins nothing', async () => {
    const session = useSessionStore();
    session.trackers = [profile({ id: 'p-remote', embedded: false })];
    session.status = status({ state: 'key_new', profileId: 'p-remote', offeredFingerprint: offered });
    api.handle('trackers.disconnect', () => status({ state: 'idle' }));
    const w = mountIn(TrustTrackerDialog);
    await flushPromises();
    must('trust-tracker-cancel').click();
    await flushPromises();
    expect(api.callsOf('trackers.acceptKey')).toEqual([]);
    expect(api.names()).toContain('trackers.disconnect');
    expect(byTestId('trust-tracker')).toBeNull();
    w.unmount();
  });

  it('the status bar says the active identity is not backed up', async () => {
    const session = useSessionStore();
    session.identities = [identity({ backedUpAt: null })];
    session.activeIdentityId = 'id-alice';
    const w = mountIn(StatusBar);
    expect(must('status-not-backed-up').textContent).toContain('not backed up');
    w.unmount();
  });
});

describe('contacts', () => {
  it('adds a pasted key, renames and deletes, in Russian too', async () => {
    let list: ContactInfo[] = [];
    api
      .handle('contacts.list', () => list)
      .handle('contacts.add', (a) => {
        const c = contact({ name: a.name, publicPem: a.publicPem });
        list = [c];
        return c;
      })
      .handle('contacts.rename', (a) => (list = [{ ...list[0]!, name: a.name }])[0]!)
      .handle('contacts.delete', () => {
        list = [];
        return { deleted: true };
      });
    const w = mountIn(ContactsView, { locale: 'ru' });
    await flushPromises();
    expect(must('contacts-empty').textContent).toContain('Контактов пока нет');
    must('contact-add').click();
    await flushPromises();
    await typed('contact-name-input', 'Bob');
    await typed('contact-pem', contact().publicPem);
    must('contact-save').click();
    await flushPromises();
    expect(api.callsOf('contacts.add')).toEqual([{ name: 'Bob', publicPem: contact().publicPem }]);
    expect(must('contact-name').textContent).toContain('Bob');

    must('contact-rename').click();
    await flushPromises();
    await typed('contact-rename-input', 'Robert');
    must('contact-rename-save').click();
    await flushPromises();
    expect(api.callsOf('contacts.rename')).toEqual([{ id: 'c-bob', name: 'Robert' }]);
    expect(must('contact-name').textContent).toContain('Robert');

    must('contact-delete').click();
    await flushPromises();
    must('confirm-delete-contact-ok').click();
    await flushPromises();
    expect(api.callsOf('contacts.delete')).toEqual([{ id: 'c-bob' }]);
    expect(byTestId('contact-item')).toBeNull();
    w.unmount();
  });

  it('takes the other party’s key from an offer file', async () => {
    const session = useSessionStore();
    session.identities = [identity({ fingerprint: 'aaaa:1111' })];
    api
      .handle('contacts.list', () => [])
      .handle(
        'channels.reviewFile',
        () =>
          ({
            fromFingerprint: 'aaaa:1111',
            fromPK: 'MY KEY',
            toFingerprint: 'b0b0:b0b0',
            toPK: '-----BEGIN PUBLIC KEY-----\nPEER\n-----END PUBLIC KEY-----\n',
          }) as FileReview,
      );
    const w = mountIn(ContactsView);
    await flushPromises();
    must('contact-add').click();
    await flushPromises();
    await chooseFile('contact-file', 'offer.json', '{"format":"wallet-tracker/transfer-file"}');
    expect(must<HTMLTextAreaElement>('contact-pem').value).toContain('PEER');
    w.unmount();
  });

  it('names a key instead of its fingerprint: contacts first, then the owner’s identities', () => {
    const session = useSessionStore();
    session.identities = [identity({ fingerprint: 'aaaa:1111', commonAddress: '0x0bALICE' })];
    const contacts = useContactsStore();
    contacts.contacts = [contact()];
    expect(contacts.names.ofKey('B0B0:B0B0:B0B0:B0B0')?.name).toBe('Bob');
    expect(contacts.names.ofKey('aaaa:1111')).toMatchObject({ kind: 'identity', name: 'Alice' });
    expect(contacts.names.ofAddress('0x0bB0B')?.name).toBe('Bob');
    expect(contacts.names.ofKey('ffff:ffff')).toBeNull();
    expect(contacts.byFingerprint('b0b0:b0b0:b0b0:b0b0')?.id).toBe('c-bob');
  });

  it('names the spend and income addresses a channel ties to a contact’s key (history rows)', () => {
    useSessionStore().identities = [identity({ fingerprint: 'aaaa:1111' })];
    const contacts = useContactsStore();
    contacts.contacts = [contact()];
    const bobsIncome = '0x0d2222aaaaBBBBCCCCDDDDEEEEFFFFGGGGHHHHIIIIJJJJ==';
    expect(contacts.addressName(bobsIncome)).toBeNull();
    useChannelsStore().list = [
      channel({ fromFingerprint: 'aaaa:1111', toFingerprint: 'b0b0:b0b0:b0b0:b0b0', toAddress: bobsIncome }),
    ];
    expect(contacts.addressName(bobsIncome)).toBe('Bob');
    expect(contacts.addressName('0x0bB0B')).toBe('Bob');
  });
});
