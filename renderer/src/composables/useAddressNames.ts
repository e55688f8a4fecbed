import { useI18n } from 'vue-i18n';
import type { AddressRole } from '../../../shared/api/models';
import { shortAddress } from '../format';
import { useLabelsStore } from '../stores/labels';

/**
 * What the app calls an address, in one place: "my spend", "my income", "my common", "the
 * tracker", or nothing (the address itself is shown); and the owner's own label on it, if any.
 * Names of other people's addresses and keys (contacts) plug in here.
 */
export function useAddressNames() {
  const { t } = useI18n();
  const labels = useLabelsStore();
  return {
    /** The name of an address in the owner's words, or null when it has none. */
    nameOf(_address: string, role: AddressRole | null | undefined): string | null {
      return role && role !== 'other' ? t(`address.role.${role}`) : null;
    },
    /** The label the owner gave the address (Labels), or null. */
    labelOf: (address: string): string | null => labels.get('addr', address) ?? null,
    short: (address: string) => shortAddress(address, 8, 4),
  };
}
