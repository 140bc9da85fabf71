import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceCpuMeter, serviceOf } from './service-cpu.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('serviceOf', () => {
  it('names the dev server on the run port, RabbitMQ and Redis, and nothing else', () => {
    const devServer = ['/x/temporal', 'server', 'start-dev', '--port', '7233', '--ip', '127.0.0.1'];
    expect(serviceOf('temporal', devServer, 7233)).toBe('temporal');
    // Another dev server on the machine is not the one measured.
    expect(serviceOf('temporal', devServer, 7234)).toBeUndefined();
    // The port's other spellings, and the CLI's default when none is given.
    expect(serviceOf('temporal', ['/x/temporal', 'server', 'start-dev', '--port=7299'], 7299)).toBe('temporal');
    expect(serviceOf('temporal', ['/x/temporal', 'server', 'start-dev', '-p', '7299'], 7299)).toBe('temporal');
    expect(serviceOf('temporal', ['/x/temporal', 'server', 'start-dev', '--headless'], 7233)).toBe('temporal');
    expect(serviceOf('temporal', ['/x/temporal', 'server', 'start-dev', '--headless'], 7299)).toBeUndefined();
    expect(serviceOf('beam.smp', ['/usr/lib/erlang/bin/beam.smp', '--', '-s', 'rabbit', 'boot'], 7233)).toBe('rabbitmq');
    expect(serviceOf('beam.smp', ['/usr/lib/erlang/bin/beam.smp', '--', '-s', 'other_app'], 7233)).toBeUndefined();
    expect(serviceOf('redis-server', ['redis-server 127.0.0.1:6379'], 7233)).toBe('redis');
    expect(serviceOf('node', ['node', 'main.ts', '--port', '7233'], 7233)).toBeUndefined();
  });
});

describe('ServiceCpuMeter', () => {
  it("counts a service process's CPU spent after the snapshot, and only the run's dev server", async () => {
    // A stand-in named like the run's dev server (its own port, unused by anything real), busy once told to be.
    // Busy for 300 ms of its own CPU, not of the clock: on a loaded machine it may get less than a core.
    const script = 'process.stdin.once("data", () => { const spent = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; }; const end = spent() + 300; while (spent() < end); console.log("done"); })';
    const port = 1 + Math.floor(Math.random() * 1000);
    const child = spawn(process.execPath, ['-e', script, 'server', 'start-dev', '--port', String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const meter = new ServiceCpuMeter(port);
    const before = meter.snapshot();
    expect([...before.values()].filter((p) => p.service === 'temporal')).toHaveLength(1);
    const busyDone = new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    child.stdin?.write('go\n');
    await busyDone;
    const spent = meter.spentSince(before);
    expect(spent.temporal).toBeGreaterThanOrEqual(0.25);
    // A meter for another port does not see the stand-in at all, and says so: no figure rather than 0.
    const elsewhere = new ServiceCpuMeter(port + 1);
    expect([...elsewhere.snapshot().values()].some((p) => p.service === 'temporal')).toBe(false);
    expect(elsewhere.spentSince(elsewhere.snapshot()).temporal).toBeUndefined();
  });
});
