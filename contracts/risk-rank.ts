/**
 * Risk ordering without zod, so the workflow bundle (which re-evaluates its imports for every workflow run)
 * does not carry the schema library. `RiskLevel` the schema lives in risk.ts; this is the same three values.
 */
export type RiskName = 'GREEN' | 'YELLOW' | 'RED';

const RANK: Record<RiskName, number> = { GREEN: 0, YELLOW: 1, RED: 2 };

/** Risk only ever goes up: a client floor or a model suggestion can raise it, never lower it. */
export function maxRisk(...levels: Array<RiskName | undefined>): RiskName {
  let highest: RiskName = 'GREEN';
  for (const level of levels) {
    if (level !== undefined && RANK[level] > RANK[highest]) highest = level;
  }
  return highest;
}
