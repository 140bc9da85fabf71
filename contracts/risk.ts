import { z } from 'zod';

export const RiskLevel = z.enum(['GREEN', 'YELLOW', 'RED']);
export type RiskLevel = z.infer<typeof RiskLevel>;

const RANK: Record<RiskLevel, number> = { GREEN: 0, YELLOW: 1, RED: 2 };

/** Risk only ever goes up: a client floor or a model suggestion can raise it, never lower it. */
export function maxRisk(...levels: Array<RiskLevel | undefined>): RiskLevel {
  let highest: RiskLevel = 'GREEN';
  for (const level of levels) {
    if (level !== undefined && RANK[level] > RANK[highest]) highest = level;
  }
  return highest;
}
