import { localizedDescriptionKey } from '../../contracts/localized-description.js';
import { locale } from './i18n/locale.js';
import type { JsonSchema } from './schema-form.js';

/** A param's description in the dashboard's language when the agent gives one, else its (English) description. */
export function describedIn(schema: JsonSchema): string | undefined {
  return schema[localizedDescriptionKey(locale)] ?? schema.description;
}
