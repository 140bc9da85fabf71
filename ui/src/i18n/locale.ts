import { en, type Messages } from './en.js';
import { ko } from './ko.js';

export type Locale = 'en' | 'ko';

const MESSAGES: Record<Locale, Messages> = { en, ko };
const STORAGE_KEY = 'nexus.lang';
export const LOCALES = Object.keys(MESSAGES) as Locale[];

/** The reader's choice on this device, else the browser's first language NEXUS speaks, else English. */
export function pickLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored !== null && (LOCALES as string[]).includes(stored)) return stored as Locale;
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if (base !== undefined && (LOCALES as string[]).includes(base)) return base as Locale;
  }
  return 'en';
}

/** The BCP 47 tag dates are written in: the browser's own variant of the chosen language (en-GB stays en-GB). */
export function localeTagFor(chosen: Locale, languages: readonly string[]): string {
  return languages.find((tag) => tag.toLowerCase().split('-')[0] === chosen) ?? (chosen === 'ko' ? 'ko-KR' : 'en');
}

function storedChoice(): string | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

const browserLanguages: readonly string[] = typeof navigator === 'undefined' ? [] : navigator.languages.length > 0 ? navigator.languages : [navigator.language];

/** Chosen once per page load: switching language reloads the page, so no string is left in the old one. */
export const locale: Locale = pickLocale(storedChoice(), browserLanguages);
export const localeTag = localeTagFor(locale, browserLanguages);
export const t: Messages = MESSAGES[locale];

export function messagesOf(other: Locale): Messages {
  return MESSAGES[other];
}

export function chooseLocale(next: Locale): void {
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // storage disabled: the choice lasts for this load only
  }
  location.reload();
}
