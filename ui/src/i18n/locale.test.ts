import { describe, expect, it } from 'vitest';
import { en } from './en.js';
import { ko } from './ko.js';
import { localeTagFor, pickLocale } from './locale.js';

describe('the dashboard language', () => {
  it('is the choice made on this device, else the first browser language NEXUS speaks, else English', () => {
    expect(pickLocale('ko', ['en-US'])).toBe('ko');
    expect(pickLocale('en', ['ko-KR'])).toBe('en');
    expect(pickLocale(null, ['fr-FR', 'ko-KR', 'en'])).toBe('ko');
    expect(pickLocale(null, ['KO'])).toBe('ko');
    expect(pickLocale('de', ['fr-FR'])).toBe('en');
    expect(pickLocale(null, [])).toBe('en');
  });

  it('writes dates in the browser variant of the chosen language', () => {
    expect(localeTagFor('en', ['ko-KR', 'en-GB'])).toBe('en-GB');
    expect(localeTagFor('ko', ['en-US'])).toBe('ko-KR');
    expect(localeTagFor('ko', ['ko'])).toBe('ko');
  });

  it('has every English string in Korean too, translated', () => {
    const leaves = (m: object, path = ''): Array<[string, unknown]> => Object.entries(m).flatMap(([k, v]) =>
      v !== null && typeof v === 'object' ? leaves(v as object, `${path}${k}.`) : [[`${path}${k}`, v] as [string, unknown]]);
    const english = new Map(leaves(en));
    const korean = new Map(leaves(ko));
    expect([...korean.keys()].sort()).toEqual([...english.keys()].sort());
    // Strings that must differ (names of NEXUS's own things, like `Correlation id`, and the byte units Korean
    // writes the same way, may stay as they are).
    const same = [...english].filter(([k, v]) => typeof v === 'string' && korean.get(k) === v).map(([k]) => k);
    expect(same).toEqual(['composer.correlationId', 'time.bytes.b', 'time.bytes.kb', 'time.bytes.mb']);
  });
});
