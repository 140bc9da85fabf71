import type { Config } from './config/load-config.js';
import type { Logger } from '../infra/logger.js';

/**
 * The lines a person reads once NEXUS runs (stderr), and the same facts as one JSON log line. `roles`: what runs,
 * in the words the first line uses; `serves`: whether the API (dashboard, auth) is part of it.
 */
export function printAddresses(config: Config, started: { roles: string; serves: boolean; embeddedTemporal: boolean }, logger: Logger): void {
  const base = config.http.publicUrl;
  const temporalUi = `http://localhost:${config.temporal.uiPort}/namespaces/${config.temporal.namespace}/workflows`;
  const lines = [
    `NEXUS is running (${started.roles})`,
    ...(started.serves ? [`  Dashboard:       ${base}/ui`, `  API:             ${base}  (health: ${base}/health)`] : []),
    // The embedded server's UI has no login and can send updates (they run nothing without a NEXUS proof): it is
    // for this machine only, and says so.
    `  Temporal Web UI: ${temporalUi}${started.embeddedTemporal ? `  (embedded dev server: listening on ${config.temporal.address.split(':')[0]} only, no login)` : ''}`,
  ];
  if (started.serves) {
    lines.push(config.auth.mode === 'local'
      ? `  Auth:            local mode: trusting x-org-id/x-project-id headers, listening on ${config.http.host} only`
      : '  Auth:            API tokens (create one with: npm run token -- create --org <org> --projects <p,…|*> --roles <roles>)');
  }
  logger.info({ roles: started.roles, dashboard: `${base}/ui`, api: base, temporal_ui: temporalUi, auth: config.auth.mode }, 'nexus started');
  if (config.auth.mode === 'local' && started.serves) {
    logger.warn({ host: config.http.host }, `local mode: trusting x-org-id/x-project-id headers, listening on ${config.http.host} only`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}
