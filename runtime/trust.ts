import { DecisionSeal } from '../infra/trust/decision-seal.js';
import type { Config } from './config/load-config.js';
import type { Logger } from '../infra/logger.js';
import { resolveKeyRing, type KeyRing } from '../infra/trust/key-ring.js';

/** The two secrets of an install: the key that proves a decision came through the API, and the payload key. */
export interface Trust {
  seal: DecisionSeal;
  payloadKeys: KeyRing;
}

export function loadTrust(config: Config, logger: Logger): Trust {
  const { trust } = config;
  return {
    seal: new DecisionSeal(resolveKeyRing(trust.decisionKeys, trust.keyDir, 'decision', logger), trust.decisionMaxAgeMs),
    payloadKeys: resolveKeyRing(trust.payloadKeys, trust.keyDir, 'payload', logger),
  };
}
