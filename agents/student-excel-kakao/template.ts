const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** The `{{names}}` a template uses, in order of first use. */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))];
}

export type Rendered = { ok: true; text: string } | { ok: false; missing: string[] };

/**
 * Fills `{{name}}` from `lookup`. An empty value is reported, not rendered as nothing: "김민준 학생의 성적:  점" is
 * worse than not sending that row.
 */
export function renderTemplate(template: string, lookup: (name: string) => string | undefined): Rendered {
  const missing: string[] = [];
  const text = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = lookup(name)?.trim();
    if (!value) {
      missing.push(name);
      return '';
    }
    return value;
  });
  return missing.length > 0 ? { ok: false, missing: [...new Set(missing)] } : { ok: true, text };
}
