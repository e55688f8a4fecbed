/** One handler per contract request, over the composed services (see create-backend.ts). */
import { AppError, type ApiEvents, type ApiHandlers } from '../api/backend';
import type { WalletBackup } from '../backup/wallet-backup';
import type { AddressBook } from '../channels/address-book';
import type { ChannelBook } from '../channels/channel-book';
import type { Drafts } from '../channels/drafts';
import type { TransferFiles } from '../channels/transfer-files';
import type { WalletContext } from '../channels/wallet-context';
import type { ContactBook } from '../contacts/contact-book';
import type { IdentityInfo } from '../../../shared/api/models';
import type { Identities } from '../identities/service';
import type { AppSettings } from '../settings/store';
import type { ConnectionManager } from './connection';
import type { HistoryService } from './history-service';
import type { Labels } from '../labels/service';
import type { Reconciler } from './reconciler';
import type { TrackerProfiles } from './tracker-profiles';

export interface AppServices {
  info: { version: string; mode: 'electron' | 'serve'; dataDir: string };
  settings: AppSettings;
  events: ApiEvents;
  identities: Identities;
  contacts: ContactBook;
  backup: WalletBackup;
  /** Locks every identity and ends a session whose identity is now locked. */
  lockAll(): Promise<IdentityInfo[]>;
  profiles: TrackerProfiles;
  connection: ConnectionManager;
  wallet: WalletContext;
  addresses: AddressBook;
  channels: ChannelBook;
  drafts: Drafts;
  files: TransferFiles;
  reconciler: Reconciler;
  history: HistoryService;
  /** The owner's labels; a wallet backup reads them with `all()` and restores them with `replaceAll()`. */
  labels: Labels;
}

export function apiHandlers(s: AppServices): ApiHandlers {
  const { settings, events, identities, profiles, connection, wallet, reconciler, history } = s;
  /** A Refresh button: the one reconciliation path, failures reported to the caller. */
  const refresh = (identityId: string) => reconciler.reconcile(identityId, 'refresh');
  return {
    /** The renderer's input pings: auto-lock counts them as the user's intent (noteRequest). */
    'app.activity': async () => ({}),
    'app.info': async () => ({ ...s.info, keyProtection: identities.keyProtection }),
    'settings.get': async () => settings.get(),
    'settings.update': async (patch) => {
      const next = settings.update(patch);
      events.emit('settings.changed', next);
      return next;
    },

    'identities.list': async () => identities.list(),
    'identities.create': async (a) => identities.create(a.name, a.passphrase),
    'identities.import': async (a) => identities.import(a.name, a.pem, a.pemPassphrase, a.passphrase),
    'identities.export': async (a) => identities.export(a.id, a.exportPassphrase, a.passphrase),
    'identities.rename': async (a) => identities.rename(a.id, a.name),
    'identities.delete': async (a) => {
      if (!identities.checkDeleteName(a.id, a.confirmName)) return { deleted: false };
      if (connection.activeIdentityId === a.id) await connection.disconnect();
      return { deleted: identities.delete(a.id, a.confirmName) };
    },
    'identities.unlock': async (a) => identities.unlock(a.id, a.passphrase),
    'identities.lock': async (a) => {
      const info = identities.lock(a.id);
      await connection.endSessionIfLocked();
      return info;
    },
    'identities.lockAll': () => s.lockAll(),
    'identities.setAutoRenew': async (a) => identities.setAutoRenew(a.id, a.autoRenew),

    'contacts.list': async () => s.contacts.list(),
    'contacts.add': async (a) => s.contacts.add(a.name, a.publicPem),
    'contacts.rename': async (a) => s.contacts.rename(a.id, a.name),
    'contacts.delete': async (a) => ({ deleted: s.contacts.delete(a.id) }),

    'backup.create': (a) => s.backup.create(a.passphrase),
    'backup.pickFile': () => s.backup.pickFile(),
    'backup.open': (a) => s.backup.open(a.content, a.passphrase),
    'backup.restore': (a) => s.backup.restore(a.content, a.passphrase, a.mode),

    'trackers.list': async () => profiles.list(),
    'trackers.add': async (a) => profiles.add(a.name, a.url),
    'trackers.update': async (a) => {
      const { profile, urlChanged } = profiles.update(a.id, a);
      if (urlChanged) await connection.redial(a.id);
      return profile;
    },
    'trackers.remove': async (a) => {
      if (profiles.find(a.id)?.embedded === false) await connection.forget(a.id);
      return { removed: profiles.remove(a.id) };
    },
    'trackers.connect': async (a) => connection.connect(a.profileId, a.identityId),
    'trackers.disconnect': async () => connection.disconnect(),
    'trackers.status': async () => connection.status,
    'trackers.acceptKey': async (a) => connection.acceptKey(a.profileId, a.fingerprint),

    'addresses.list': async (a) => wallet.addresses(a.identityId),
    'addresses.open': async (a) => s.addresses.open(a.identityId, a.kind),
    'addresses.close': async (a) => s.addresses.close(a.identityId, a.address),
    'addresses.refresh': async (a) => {
      await refresh(a.identityId);
      return wallet.addresses(a.identityId);
    },
    'common.state': async (a) => wallet.commonState(a.identityId),

    'channels.list': async (a) => s.channels.list(a.identityId),
    'channels.preview': async (a) => s.drafts.preview(a.identityId, a.draft),
    'channels.openLocal': async (a) => s.channels.openLocal(a.payerId, a.payeeId, a.draft),
    'channels.previewClose': async (a) => s.channels.previewClose(a.channelId, a.volume),
    'channels.closeLocal': async (a) => s.channels.closeLocal(a.channelId, a.volume),
    'channels.createOffer': async (a) => s.files.createOffer(a.identityId, a.counterpartyPK, a.draft, a.role),
    'channels.createReceipt': async (a) => s.files.createReceipt(a.identityId, a.channelId, a.volume),
    'channels.reviewFile': async (a) => s.files.review(a.content),
    'channels.countersign': async (a) => s.files.countersign(a.content, a.identityId),
    'channels.submitFile': async (a) => s.files.submit(a.content),
    'channels.refresh': async (a) => {
      await refresh(a.identityId);
      return s.channels.list(a.identityId);
    },

    'history.query': async (a) => history.query(a),
    'history.item': async (a) => history.item(a.identityId, a.txId),
    /** Answers at once; the reconciliation's sync reports its progress as `sync.progress` events. */
    'history.sync': async (a) => {
      if (!connection.live())
        throw new AppError('OFFLINE', 'not connected to a tracker: showing the cached history');
      void refresh(a.identityId).catch((e: Error) => history.reportFailure(a.identityId, e));
      return history.status(a.identityId);
    },
    'history.syncStatus': async (a) => history.status(a.identityId),
    'history.exportCsv': async (a) => history.exportCsv(a.identityId, a.filter),
    'history.chart': async (a) => history.chart(a),

    'labels.list': async (a) => s.labels.list(a),
    'labels.set': async (a) => s.labels.set(a),
    'labels.clear': async (a) => ({ cleared: s.labels.clear(a.type, a.ref) }),
    'labels.export': async () => s.labels.exportFile(),
    'labels.import': async (a) => s.labels.importFile(a.content),
  };
}
