import { h } from '../element.js';
import type { Messages } from './en.js';
import { chooseLocale, locale, LOCALES, messagesOf, t, type Locale } from './locale.js';

type ShellKey = { [K in keyof Messages['shell']]: Messages['shell'][K] extends string ? K : never }[keyof Messages['shell']];

function shellText(key: string | undefined): string | undefined {
  if (key === undefined || !(key in t.shell)) return undefined;
  const value = t.shell[key as ShellKey];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Puts the page shell (`ui/index.html`, written in English) in the chosen language: `data-i18n` names the text of
 * an element, `data-i18n-placeholder` / `-title` / `-aria-label` those attributes; and fills the language switch,
 * each language named in itself.
 */
export function translateShell(root: Document, select: HTMLSelectElement): void {
  root.documentElement.lang = locale;
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = shellText(el.dataset.i18n) ?? el.textContent;
  for (const attribute of ['placeholder', 'title', 'aria-label']) {
    for (const el of root.querySelectorAll<HTMLElement>(`[data-i18n-${attribute}]`)) {
      const text = shellText(el.getAttribute(`data-i18n-${attribute}`) ?? undefined);
      if (text !== undefined) el.setAttribute(attribute, text);
    }
  }
  select.replaceChildren(...LOCALES.map((l) => h('option', { value: l, lang: l }, messagesOf(l).languageName)));
  select.value = locale;
  select.addEventListener('change', () => chooseLocale(select.value as Locale));
}
