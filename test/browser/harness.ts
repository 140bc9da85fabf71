import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { freeRestartablePort } from '../support/local-server.js';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { z } from 'zod';
import { defineAgent, type Agent } from '../../agents/agent.js';
import type { Logger } from '../../infra/logger.js';
import { bootNexus, cleanupEnv, isolatedEnv, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

export const CHROMIUM_PATH = process.env.NEXUS_CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = 'test-artifacts/screenshots';

/** GREEN and slow on purpose, so a command is still running while the test stops the API. */
const sleepAgent = defineAgent({
  name: 'sleep',
  description: 'Waits for `ms` milliseconds, then returns how long it slept.',
  params: z.strictObject({ ms: z.number().int().min(0).max(60_000).describe('How long to wait') }),
  risk: 'GREEN',
  summarize: ({ ms }) => ({ title: `Sleep ${ms} ms`, description: 'Waits, then returns.' }),
  run: async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { slept_ms: ms };
  },
}) as Agent;

/**
 * One NEXUS split by role so the API can be stopped and started on its own: worker and bridge keep running
 * commands while the API the browser talks to (on a fixed port, so the page reconnects to the same address)
 * is down; a second API on another port accepts commands during that outage.
 */
export class DashboardNexus {
  readonly env: Record<string, string>;
  readonly logger: Logger;
  private backend: RunningNexus[] = [];
  private main: RunningNexus | undefined;
  side!: RunningNexus;
  port = 0;

  constructor(name: string, extra: Record<string, string> = {}) {
    this.env = isolatedEnv(name, extra);
    this.logger = testLogger(this.env).logger;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const options = { extraAgents: [sleepAgent] };
    this.backend.push(await bootNexus(this.env, this.logger, { ...options, role: 'bridge' }));
    this.backend.push(await bootNexus(this.env, this.logger, { ...options, role: 'worker' }));
    this.side = await bootNexus(this.env, this.logger, { ...options, role: 'api' });
    // The page reconnects to this very port after the API restarts.
    this.port = await freeRestartablePort();
    await this.startApi();
  }

  async startApi(): Promise<void> {
    this.main = await bootNexus({ ...this.env, PORT: String(this.port) }, this.logger, { extraAgents: [sleepAgent], role: 'api' });
  }

  async stopApi(): Promise<void> {
    await this.main?.stop();
    this.main = undefined;
  }

  async stop(): Promise<void> {
    await this.stopApi();
    await this.side?.stop();
    for (const part of this.backend.reverse()) await part.stop();
    await cleanupEnv(this.env);
  }
}

/**
 * One NEXUS (every role) and one browser for a test file: started before its tests, stopped after, with `after` for
 * what else the file started (a fake provider). Read `nexus` and `browser` inside tests, once they exist.
 */
export function browserSuite(env: Record<string, string>, after: () => Promise<void> = async () => undefined): { readonly nexus: RunningNexus; readonly browser: Browser } {
  let nexus: RunningNexus | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    nexus = await bootNexus(env, testLogger(env).logger);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await nexus?.stop();
    await after();
    await cleanupEnv(env);
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started: read it inside a test`);
    return value;
  };
  return {
    get nexus() {
      return started(nexus, 'NEXUS');
    },
    get browser() {
      return started(browser, 'the browser');
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: run runtime/scripts/ensure-browser.sh (or apt-get install chromium), or set NEXUS_CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface OpenPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors in the page; every test ends by asserting there were none. */
  errors: string[];
}

export async function newPage(browser: Browser, options: { colorScheme?: 'light' | 'dark'; width?: number; locale?: string } = {}): Promise<OpenPage> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? 'light',
    // The browser's language (navigator.languages, Accept-Language); the dashboard speaks it when it can.
    locale: options.locale ?? 'en-US',
    viewport: { width: options.width ?? 1360, height: 900 },
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}/${name}.png`;
  // From the top, or the sticky header lands in the middle of a full-page capture.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage });
  return path;
}

export function card(page: Page, correlationId: string) {
  return page.locator(`article.card[data-correlation-id="${correlationId}"]`);
}

/** Waits until the card exists with `status` (its `data-status` mirrors the badge). */
export async function waitForStatus(page: Page, correlationId: string, status: string, timeout = 30_000): Promise<void> {
  await page.locator(`article.card[data-correlation-id="${correlationId}"][data-status="${status}"]`).waitFor({ timeout });
}

export async function waitForConnection(page: Page, text: RegExp, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById('connection')?.textContent ?? ''),
    text.source,
    { timeout, polling: 50 },
  );
}

const execFileAsync = promisify(execFile);

/** Sends a command the way a person at a terminal would: with curl, not through the page. */
export async function curlCommand(baseUrl: string, tenant: { org_id: string; project_id: string }, body: unknown): Promise<{ status: number; body: string }> {
  const { stdout } = await execFileAsync('curl', [
    '-sS', '-o', '-', '-w', '\n%{http_code}',
    '-H', `x-org-id: ${tenant.org_id}`, '-H', `x-project-id: ${tenant.project_id}`, '-H', 'content-type: application/json',
    '--data-binary', JSON.stringify(body), `${baseUrl}/sidecar/command`,
  ]);
  const lines = stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

/** Holds every new stream request until released: the page then only knows what POST answers told it. */
export class StreamGate {
  private released = true;
  private waiting: Array<() => void> = [];

  hold(): void {
    this.released = false;
  }

  release(): void {
    this.released = true;
    for (const resume of this.waiting.splice(0)) resume();
  }

  pass(): Promise<void> {
    if (this.released) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  get held(): number {
    return this.waiting.length;
  }
}

export async function gateStream(page: Page, gate: StreamGate): Promise<void> {
  await page.route('**/agent/reports/stream**', async (route) => {
    await gate.pass();
    await route.continue().catch(() => undefined);
  });
}

/** Fills the composer's optional correlation id (inside the "Options" disclosure, opened if closed). */
export async function setCorrelationId(page: Page, correlationId: string): Promise<void> {
  const details = page.locator('details.advanced');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
  await page.fill('#correlation-id', correlationId);
}
