import { z } from 'zod';
import type { RiskName } from './risk-rank.js';

export const RiskLevel = z.enum(['GREEN', 'YELLOW', 'RED'] satisfies RiskName[]);
export type RiskLevel = z.infer<typeof RiskLevel>;

export { maxRisk } from './risk-rank.js';
