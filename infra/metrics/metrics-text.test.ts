import { describe, expect, it } from 'vitest';
import { metricsText } from './metrics-text.js';
import { NexusMetrics } from './nexus-metrics.js';

describe('metricsText with sibling processes', () => {
  it('merges their registries: series apart by nexus_role, one TYPE line per metric, their extra text appended', async () => {
    const api = new NexusMetrics('api');
    const worker = new NexusMetrics('worker');
    const bridge = new NexusMetrics('bridge');
    api.commandsStarted.inc({ type: 'agent.run' });
    worker.commandsStarted.inc({ type: 'agent.run' }, 2);
    const siblings = async () => [
      { metrics: await worker.registry.getMetricsAsJSON(), text: 'temporal_worker_task_slots_available{worker_type="ActivityWorker"} 100\n' },
      { metrics: await bridge.registry.getMetricsAsJSON(), text: '' },
    ];

    const text = await metricsText(api, undefined, siblings);

    expect(text.match(/^# TYPE nexus_commands_started_total counter$/gm)).toHaveLength(1);
    expect(text).toContain('nexus_commands_started_total{type="agent.run",nexus_role="api"} 1');
    expect(text).toContain('nexus_commands_started_total{type="agent.run",nexus_role="worker"} 2');
    expect(text).toMatch(/^nexus_process_cpu_seconds_total\{nexus_role="bridge"\} /m);
    expect(text.endsWith('temporal_worker_task_slots_available{worker_type="ActivityWorker"} 100\n')).toBe(true);
  });

  it('is the process\'s own registry when no sibling answers', async () => {
    const api = new NexusMetrics('api');
    expect(await metricsText(api, undefined, async () => [])).toContain('nexus_role="api"');
  });
});
