import { z } from 'zod';
import { defineAgent } from '../agent.js';

/** GREEN; returns its params. Used by tests and the benchmark, and as the smallest example of an agent. */
export const echoAgent = defineAgent({
  name: 'echo',
  description: 'Returns its params as the result. Harmless; useful to check that NEXUS works end to end.',
  params: z.record(z.string(), z.unknown()),
  risk: 'GREEN',
  summarize: (params) => ({
    title: 'Echo the given params',
    description: `Returns ${Object.keys(params).length} field(s) unchanged.`,
  }),
  run: async (params) => params,
});
