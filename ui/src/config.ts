/**
 * Set by the API in the page shell: where the Temporal Web UI is, for the per-workflow links. Null unless an
 * operator configured TEMPORAL_UI_URL: the dashboard never sends people to a console it was not told about.
 */
export interface UiConfig {
  temporalUiUrl: string | null;
  temporalNamespace: string;
  /** The API's NEXUS_MAX_UPLOAD_BYTES: a larger file is refused here, before a byte is sent. */
  maxUploadBytes: number;
}

export function readConfig(): UiConfig {
  const el = document.getElementById('nexus-config');
  const parsed = el?.textContent ? (JSON.parse(el.textContent) as Partial<UiConfig>) : {};
  return {
    temporalUiUrl: parsed.temporalUiUrl ?? null,
    temporalNamespace: parsed.temporalNamespace ?? 'default',
    maxUploadBytes: parsed.maxUploadBytes ?? Number.POSITIVE_INFINITY,
  };
}

export function workflowUrl(config: UiConfig, workflowId: string): string | undefined {
  if (!config.temporalUiUrl) return undefined;
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The Temporal Web UI's workflow list, narrowed by a visibility query when given (e.g. one correlation id). */
export function temporalListUrl(config: UiConfig, query?: string): string | undefined {
  if (!config.temporalUiUrl) return undefined;
  const list = `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows`;
  return query === undefined ? list : `${list}?query=${encodeURIComponent(query)}`;
}
