import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger.js';
import { installTemporalLogger } from '../../infra/temporal-logger.js';
import { dataConverter } from '../../infra/temporal-options.js';
import { parseKeyRing } from '../../infra/trust/key-ring.js';
import { workflowBundle as bundled } from '../support/nexus-under-test.js';

/**
 * Histories written by earlier versions of the workflow code must replay with today's: a worker that cannot
 * replay a running command's history fails its workflow task on every retry, and the command is stuck for good.
 * Each folder of `histories/` holds the histories one version wrote and the throwaway payload key they were
 * encrypted with (histories/README.md says where each came from).
 */
const HISTORIES = fileURLToPath(new URL('./histories/', import.meta.url));

let workflowBundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  // A history that ends in the middle of a command replays up to its end, where the replayer cannot run the next
  // activity and says so in a warning; only a nondeterminism failure is a failed replay.
  installTemporalLogger(createLogger('error'));
  workflowBundle = await bundled();
});

const folders = readdirSync(HISTORIES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

describe('recorded histories replay with the current workflow code', () => {
  it('has histories to replay', () => {
    expect(folders.length).toBeGreaterThan(0);
  });

  for (const folder of folders) {
    it(folder, { timeout: 60_000 }, async () => {
      const dir = join(HISTORIES, folder);
      const keys = parseKeyRing(readFileSync(join(dir, 'payload.key'), 'utf8').trim());
      if (!keys) throw new Error(`${folder}/payload.key is not a key ring`);
      const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
      expect(files.length).toBeGreaterThan(0);
      const histories = files.map((file) => ({ workflowId: `${folder}/${file}`, history: JSON.parse(readFileSync(join(dir, file), 'utf8')) }));

      const failures: string[] = [];
      for await (const result of Worker.runReplayHistories({ workflowBundle, dataConverter: dataConverter(keys) }, histories)) {
        if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
      }
      expect(failures).toEqual([]);
    });
  }
});
