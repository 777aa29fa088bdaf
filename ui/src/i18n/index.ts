import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import nl from './nl.json';

/** Dutch first; English selectable and remembered in localStorage. */
export const LANGUAGES = ['nl', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'bebsy.language';

/** The `Intl` locale for each UI language. */
export const INTL_LOCALE: Record<Language, string> = { nl: 'nl-NL', en: 'en-GB' };

function storedLanguage(): Language {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'en' ? 'en' : 'nl';
  } catch {
    return 'nl';
  }
}

export function setLanguage(language: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // not remembered in private mode
  }
  void i18next.changeLanguage(language);
}

export function currentLanguage(): Language {
  return i18next.language === 'en' ? 'en' : 'nl';
}

i18next.on('languageChanged', (language) => {
  document.documentElement.lang = language === 'en' ? 'en' : 'nl';
});

void i18next.use(initReactI18next).init({
  resources: { nl: { translation: nl }, en: { translation: en } },
  lng: storedLanguage(),
  fallbackLng: 'nl',
  supportedLngs: LANGUAGES,
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = currentLanguage();

export default i18next;
