/** Set by the API in the page shell: where the Temporal Web UI is, for the per-workflow links. */
export interface UiConfig {
  temporalUiUrl: string;
  temporalNamespace: string;
}

export function readConfig(): UiConfig {
  const el = document.getElementById('nexus-config');
  const parsed = el?.textContent ? (JSON.parse(el.textContent) as Partial<UiConfig>) : {};
  return {
    temporalUiUrl: parsed.temporalUiUrl ?? 'http://localhost:8233',
    temporalNamespace: parsed.temporalNamespace ?? 'default',
  };
}

export function workflowUrl(config: UiConfig, workflowId: string): string {
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
