import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NexusMetrics } from './nexus-metrics.js';

/** The Grafana dashboard beside the compose file may only plot what NEXUS exports (a renamed metric is an empty panel). */
const dashboard = JSON.parse(readFileSync(new URL('../../docker/grafana-nexus-dashboard.json', import.meta.url), 'utf8')) as {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
};

describe('the Grafana dashboard', () => {
  it('queries only metrics NEXUS defines', async () => {
    const metrics = new NexusMetrics('api');
    metrics.countOpenAsksWith(() => Promise.resolve(0), 100);
    const defined = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const queried = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => [...t.expr.matchAll(/\bnexus_[a-z_]+/g)].map((m) => m[0])));
    expect(queried.length).toBeGreaterThan(10);
    const unknown = queried.map((name) => name.replace(/_(bucket|sum|count)$/, '')).filter((name) => !defined.has(name));
    expect(unknown).toEqual([]);
  });
});
