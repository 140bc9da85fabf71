import { rmSync, writeFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The folders are the architecture (docs/architecture.md): these probes import across a boundary the way a careless
 * change would, and the project's own lint config must refuse each. A probe is a real file for the run of one case.
 */
const probes: string[] = [];
afterEach(() => {
  for (const file of probes.splice(0)) rmSync(file, { force: true });
});

async function lint(file: string, code: string): Promise<string[]> {
  writeFileSync(file, code);
  probes.push(file);
  const [result] = await new ESLint().lintFiles([file]);
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer boundaries, enforced by the lint', () => {
  it('refuses a value import of activities/ or its policy code from workflows/', async () => {
    const errors = await lint('workflows/zz-probe.ts', [
      "import { createActivities } from '../activities/create-activities.js';",
      "import { evaluatePolicy } from '../activities/policy/evaluate-policy.js';",
      'export const probe = [createActivities, evaluatePolicy];',
    ].join('\n'));
    expect(errors.filter((e) => e.includes('restricted'))).toHaveLength(2);
  }, 60_000);

  it('lets workflows/ import activities as types only, and contracts/', async () => {
    const errors = await lint('workflows/zz-probe.ts', [
      "import type { createActivities } from '../activities/create-activities.js';",
      "import { PROGRESS_SEQ_BLOCK } from '../contracts/failure-codes.js';",
      'export type Probe = typeof createActivities;',
      'export const block = PROGRESS_SEQ_BLOCK;',
    ].join('\n'));
    expect(errors).toEqual([]);
  }, 60_000);

  it('refuses an upward import: infra/ reaching into api/, agents/ into activities/, bridge/ into api/', async () => {
    const cases: Array<[string, string]> = [
      ['infra/zz-probe.ts', "import { createApp } from '../api/app.js';\nexport const probe = createApp;"],
      ['agents/zz-probe.ts', "import { evaluatePolicy } from '../activities/policy/evaluate-policy.js';\nexport const probe = evaluatePolicy;"],
      ['bridge/zz-probe.ts', "import { createApp } from '../api/app.js';\nexport const probe = createApp;"],
      ['contracts/zz-probe.ts', "import { pino } from 'pino';\nexport const probe = pino;"],
    ];
    for (const [file, code] of cases) {
      const errors = await lint(file, code);
      expect(errors.some((e) => e.includes('restricted')), file).toBe(true);
    }
  }, 60_000);
});
