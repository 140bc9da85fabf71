import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * deploy/kubernetes, checked offline the way CI can: every manifest against the Kubernetes schemas
 * (kubernetes-validate, strict), the whole folder through checkov with no finding left unless a reason is written
 * beside it, and what the deployment promises (probes, limits, budgets, autoscalers, only the API reachable) read
 * from the manifests themselves. runtime/scripts/ensure-k8s-checks.sh installs both tools.
 */
const run = promisify(execFile);
const DIR = 'deploy/kubernetes';
const VALIDATE = resolve('.tools/kubernetes-validate-venv/bin/kubernetes-validate');
const PYTHON = resolve('.tools/kubernetes-validate-venv/bin/python');
const CHECKOV = resolve('.tools/checkov-venv/bin/checkov');
// The oldest Kubernetes the manifests are written for (autoscaling/v2, policy/v1, restricted pod security).
const KUBERNETES = '1.29.0';
const manifests = readdirSync(DIR).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml').map((name) => join(DIR, name));
const scratch = mkdtempSync(join(tmpdir(), 'nexus-k8s-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Resource {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: any;
}

/** Every document of every manifest, parsed by PyYAML (in the validator's venv): YAML as Kubernetes reads it. */
async function resources(): Promise<Resource[]> {
  const script = 'import json, sys, yaml\nprint(json.dumps([d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d]))';
  const { stdout } = await run(PYTHON, ['-c', script, ...manifests]);
  return JSON.parse(stdout) as Resource[];
}

async function validate(files: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(VALIDATE, ['--strict', '--quiet', '-k', KUBERNETES, ...files]);
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the Kubernetes manifests', () => {
  it('validate strictly against the Kubernetes schemas, and the validator refuses a misspelled field', async () => {
    const result = await validate(manifests);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
    const broken = join(scratch, 'broken.yaml');
    writeFileSync(broken, readFileSync(join(DIR, 'bridge.yaml'), 'utf8').replace('  replicas: 2', '  replica: 2'));
    expect((await validate([broken])).ok).toBe(false);
  }, 120_000);

  it('pass checkov with no finding, and every check skipped says why beside it', async () => {
    // --skip-download: offline; the checks are the installed version's.
    const { stdout } = await run(CHECKOV, ['-d', DIR, '--framework', 'kubernetes', '--skip-download', '--compact', '-o', 'json'], { maxBuffer: 64 * 1024 * 1024 })
      .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(stdout) as { summary: { passed: number; failed: number; parsing_errors: number }; results: { failed_checks: Array<{ check_id: string; resource: string }> } };
    expect(report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`)).toEqual([]);
    expect(report.summary).toMatchObject({ failed: 0, parsing_errors: 0 });
    expect(report.summary.passed).toBeGreaterThan(100);
    for (const resource of await resources()) {
      for (const [key, value] of Object.entries(resource.metadata.annotations ?? {})) {
        if (key.startsWith('checkov.io/skip')) expect(value, `${resource.kind} ${resource.metadata.name} ${key}`).toMatch(/^CKV2?_K8S_\d+=.{30,}$/);
      }
    }
  }, 180_000);

  it('give every role probes on /health, requests and limits, no root and no token; the API and the worker a budget and an autoscaler', async () => {
    const all = await resources();
    expect(all.filter((r) => r.kind !== 'Namespace').every((r) => r.metadata.namespace === 'nexus')).toBe(true);
    const deployments = all.filter((r) => r.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['nexus-api', 'nexus-bridge', 'nexus-worker', 'temporal-ui']);
    for (const name of ['nexus-api', 'nexus-worker', 'nexus-bridge']) {
      const pod = deployments.find((d) => d.metadata.name === name)?.spec.template.spec;
      const [container] = pod.containers;
      expect(container.args.slice(-2), name).toEqual(['--role', name.replace('nexus-', '')]);
      expect(container.readinessProbe.httpGet.path, name).toBe('/health');
      expect(container.livenessProbe.httpGet.path, name).toBe('/health');
      expect(Object.keys(container.resources.requests).sort(), name).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources.limits).sort(), name).toEqual(['cpu', 'memory']);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(pod.automountServiceAccountToken, name).toBe(false);
      // Keys and logins come from the role's own Secret, never from the manifests.
      expect(container.envFrom).toContainEqual({ secretRef: { name } });
      expect(JSON.stringify(container.env ?? [])).not.toMatch(/KEY|SECRET|PASSWORD|_URL/);
    }
    for (const kind of ['PodDisruptionBudget', 'HorizontalPodAutoscaler']) {
      expect(all.filter((r) => r.kind === kind).map((r) => r.metadata.name).sort(), kind).toEqual(['nexus-api', 'nexus-worker']);
    }
    const ui = deployments.find((d) => d.metadata.name === 'temporal-ui')?.spec.template.spec.containers[0];
    expect(ui.env).toEqual(expect.arrayContaining([{ name: 'TEMPORAL_DISABLE_WRITE_ACTIONS', value: 'true' }, { name: 'TEMPORAL_CODEC_ENDPOINT', value: expect.stringMatching(/\/codec$/) }]));
  });

  it('let only the API be reached from outside the namespace', async () => {
    const policies = (await resources()).filter((r) => r.kind === 'NetworkPolicy');
    const denyAll = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && p.spec.ingress === undefined);
    expect(denyAll?.spec.policyTypes).toEqual(['Ingress']);
    // Any rule that admits traffic from beyond this namespace's pods selects the API's pods, and only its port.
    const open = policies.filter((p) => (p.spec.ingress ?? []).some((rule: { from?: Array<Record<string, unknown>> }) => !rule.from || rule.from.some((peer) => !('podSelector' in peer) || 'namespaceSelector' in peer)));
    expect(open.map((p) => ({ selects: p.spec.podSelector, ports: p.spec.ingress.flatMap((rule: { ports?: unknown[] }) => rule.ports ?? []) }))).toEqual([
      { selects: { matchLabels: { 'app.kubernetes.io/name': 'nexus-api' } }, ports: [{ port: 'http', protocol: 'TCP' }] },
    ]);
    const services = (await resources()).filter((r) => r.kind === 'Service');
    expect(services.every((s) => (s.spec.type ?? 'ClusterIP') === 'ClusterIP')).toBe(true);
  });
});
