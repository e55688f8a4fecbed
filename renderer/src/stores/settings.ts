import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Settings } from '../../../shared/api/models';
import { transport } from './transport';

export const DEFAULT_SETTINGS: Settings = {
  expiryWarningLeadMs: 5 * 60_000,
  language: 'en',
  theme: 'system',
  lastIdentityId: null,
  lastProfileId: null,
  notifications: true,
  autoLockMinutes: 15,
};

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings>({ ...DEFAULT_SETTINGS });
  const loaded = ref(false);

  async function load(): Promise<Settings> {
    settings.value = await transport().invoke('settings.get', {});
    loaded.value = true;
    return settings.value;
  }

  async function update(patch: Partial<Settings>): Promise<Settings> {
    settings.value = await transport().invoke('settings.update', patch);
    return settings.value;
  }

  function bindEvents(): () => void {
    return transport().on('settings.changed', (s) => {
      settings.value = s;
    });
  }

  return { settings, loaded, load, update, bindEvents };
});
