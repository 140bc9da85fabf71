import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

const UI_DIR = new URL('../../ui/', import.meta.url);

/** A served file, pre-compressed once: the dashboard is requested all day, its bytes never change while we run. */
export interface UiAsset {
  body: string;
  gzip: Buffer;
  etag: string;
}

export interface UiBundle {
  app: UiAsset;
  /** The page shell with the CSS inlined; `__CONFIG__` and `__APP_SRC__` are filled per API instance. */
  shellTemplate: string;
  styleHash: string;
}

export interface ShellConfig {
  temporalUiUrl: string | null;
  temporalNamespace: string;
  /** NEXUS_MAX_UPLOAD_BYTES, so the page can say a file is too large before sending it. */
  maxUploadBytes: number;
}

let cached: Promise<UiBundle> | undefined;

/**
 * Bundles `ui/src/main.ts` in memory the first time the dashboard is asked for, then serves that forever: no build
 * step to forget, no artifact to go stale, and API processes that never serve a browser never pay for it.
 */
export function uiBundle(): Promise<UiBundle> {
  cached ??= buildUi().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function buildUi(): Promise<UiBundle> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('src/main.ts', UI_DIR))],
    write: false,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild produced no output for ui/src/main.ts');
  const css = (await transform(await readFile(new URL('styles.css', UI_DIR), 'utf8'), { loader: 'css', minify: true })).code.trim();
  const html = await readFile(new URL('index.html', UI_DIR), 'utf8');
  return {
    app: asset(js),
    shellTemplate: html.replace('/*__STYLES__*/', () => css),
    styleHash: `sha256-${createHash('sha256').update(css).digest('base64')}`,
  };
}

export function asset(body: string): UiAsset {
  return { body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Fills the shell; the config is JSON inside a non-executable script tag, escaped so it cannot close the tag. */
export function renderShell(bundle: UiBundle, config: ShellConfig): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return bundle.shellTemplate
    .replace('__CONFIG__', () => json)
    .replace('__APP_SRC__', () => `/ui/app.js?v=${bundle.app.etag.slice(1, -1)}`);
}
