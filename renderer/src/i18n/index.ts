import { createI18n } from 'vue-i18n';
import en from './en';
import ru from './ru';

export type MessageSchema = typeof en;
export type AppLocale = 'en' | 'ru';

export const SUPPORTED_LOCALES: readonly AppLocale[] = ['en', 'ru'];

/** Picks `ru` for Russian system languages, `en` otherwise. */
export function detectLocale(languages: readonly string[] = navigator.languages): AppLocale {
  return languages.some((l) => l.toLowerCase().startsWith('ru')) ? 'ru' : 'en';
}

export function createAppI18n(locale: AppLocale = detectLocale()) {
  return createI18n<[MessageSchema], AppLocale, false>({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages: { en, ru },
  });
}
