import { DecisionSeal } from '../infra/trust/decision-seal.js';
import { ReportSeal } from '../infra/trust/report-seal.js';
import { LinkSeal } from '../infra/trust/link-seal.js';
import { StandingSeal } from '../infra/trust/standing-seal.js';
import type { Config } from './config/load-config.js';
import type { Logger } from '../infra/logger.js';
import { resolveKeyRing, type KeyRing } from '../infra/trust/key-ring.js';

/** The two secrets of an install: the key that proves a decision came through the API, and the payload key. */
export interface Trust {
  seal: DecisionSeal;
  /** Signs approval links (a key derived from the decision keys). */
  linkSeal: LinkSeal;
  /** Signs standing approvals (a key derived from the decision keys). */
  standingSeal: StandingSeal;
  /** Seals reports at every publisher and checks them in the bridge (keys derived from the decision keys). */
  reportSeal: ReportSeal;
  payloadKeys: KeyRing;
}

export function loadTrust(config: Config, logger: Logger): Trust {
  const { trust } = config;
  const decisionKeys = resolveKeyRing(trust.decisionKeys, trust.keyDir, 'decision', logger);
  return {
    seal: new DecisionSeal(decisionKeys, trust.decisionMaxAgeMs),
    linkSeal: new LinkSeal(decisionKeys),
    standingSeal: new StandingSeal(decisionKeys),
    reportSeal: new ReportSeal(decisionKeys),
    payloadKeys: resolveKeyRing(trust.payloadKeys, trust.keyDir, 'payload', logger),
  };
}
