import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { buildNameIndex, channelLinks, type ContactInfo, type NameIndex } from '../../../shared/api/contacts';
import { transport } from './transport';
import { useSessionStore } from './session';
import { useChannelsStore } from './channels';

/**
 * The owner's contacts, and the names the app shows instead of fingerprints and addresses: a
 * contact's name for a counterparty's key, an identity's name for one of the owner's own keys.
 */
export const useContactsStore = defineStore('contacts', () => {
  const contacts = ref<ContactInfo[]>([]);
  const loaded = ref(false);

  async function load(): Promise<ContactInfo[]> {
    contacts.value = await transport().invoke('contacts.list', {});
    loaded.value = true;
    return contacts.value;
  }

  async function add(name: string, publicPem: string): Promise<ContactInfo> {
    const c = await transport().invoke('contacts.add', { name, publicPem });
    await load();
    return c;
  }

  async function rename(id: string, name: string): Promise<ContactInfo> {
    const c = await transport().invoke('contacts.rename', { id, name });
    await load();
    return c;
  }

  async function remove(id: string): Promise<boolean> {
    const { deleted } = await transport().invoke('contacts.delete', { id });
    await load();
    return deleted;
  }

  /**
   * Names by key fingerprint and by address (contacts first, then the owner's identities): a key's
   * common address, and the spend and income addresses the shown channels tie to it.
   */
  const names = computed<NameIndex>(() => {
    const session = useSessionStore();
    return buildNameIndex(
      [
        ...contacts.value.map((c) => ({ kind: 'contact' as const, ...c })),
        ...session.identities.map((i) => ({ kind: 'identity' as const, ...i })),
      ],
      channelLinks(useChannelsStore().list),
    );
  });

  /** The name of an address's owner (a contact or one of the owner's identities), or null. */
  function addressName(address: string): string | null {
    return names.value.ofAddress(address)?.name ?? null;
  }

  /** The contact already naming this key (by fingerprint), if any. */
  function byFingerprint(fingerprint: string | null | undefined): ContactInfo | null {
    const party = names.value.ofKey(fingerprint);
    return party?.kind === 'contact' ? (contacts.value.find((c) => c.id === party.id) ?? null) : null;
  }

  function bindEvents(): () => void {
    return transport().on('contacts.changed', (list) => {
      contacts.value = list;
      loaded.value = true;
    });
  }

  return { contacts, loaded, load, add, rename, remove, names, addressName, byFingerprint, bindEvents };
});
