import { useI18n } from 'vue-i18n';
import type { AddressRole } from '../../../shared/api/models';
import { shortAddress } from '../format';
import { useContactsStore } from '../stores/contacts';
import { useLabelsStore } from '../stores/labels';

/**
 * What the app calls an address, in one place: "my spend", "my income", "my common", "the
 * tracker" for the owner's and the tracker's addresses, else the name of the contact (or own
 * identity) whose key holds it, else nothing (the address itself is shown); and the owner's own
 * label on it, if any.
 */
export function useAddressNames() {
  const { t } = useI18n();
  const labels = useLabelsStore();
  const contacts = useContactsStore();
  return {
    /** The name of an address in the owner's words, or null when it has none. */
    nameOf(address: string, role: AddressRole | null | undefined): string | null {
      if (role && role !== 'other') return t(`address.role.${role}`);
      return contacts.addressName(address);
    },
    /** The label the owner gave the address (Labels), or null. */
    labelOf: (address: string): string | null => labels.get('addr', address) ?? null,
    short: (address: string) => shortAddress(address, 8, 4),
  };
}
