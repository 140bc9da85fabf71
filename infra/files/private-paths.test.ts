import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertPrivate, privateDir, privateFile, UnsafePathError } from './private-paths.js';

// Real folders and files on disk, with the modes and owners another local user could leave behind.
const root = mkdtempSync(join(tmpdir(), 'nexus-private-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o7777;
const asRoot = process.getuid?.() === 0;
/** Someone else: chown needs root, which is how this suite runs here and in CI. */
const NOBODY = 65534;

describe('private paths', () => {
  it('makes a data folder this user\'s alone: created 0700, an existing one of its own tightened', () => {
    const fresh = join(root, 'fresh', 'nested');
    privateDir(fresh);
    expect(mode(fresh)).toBe(0o700);
    const loose = join(root, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o777);
    privateDir(loose);
    expect(mode(loose)).toBe(0o700);
  });

  it('refuses a shared folder rather than closing it', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(() => privateDir(shared)).toThrow(UnsafePathError);
    expect(mode(shared)).toBe(0o1777);
  });

  it('creates a private file 0600 and tightens one of its own', () => {
    const file = join(root, 'server.log');
    privateFile(file, 'log');
    expect(mode(file)).toBe(0o600);
    chmodSync(file, 0o644);
    privateFile(file, 'log');
    expect(mode(file)).toBe(0o600);
  });

  it('trusts a key file or key folder only when nobody else may write it (nor read the file)', () => {
    const dir = join(root, 'keys-ok');
    mkdirSync(dir, { mode: 0o700 });
    const key = join(dir, 'decision.key');
    writeFileSync(key, 'x', { mode: 0o600 });
    expect(() => assertPrivate(dir, 'key folder')).not.toThrow();
    expect(() => assertPrivate(key, 'key file')).not.toThrow();
    for (const [path, loose, pattern] of [[key, 0o666, /mode 0666/], [key, 0o644, /mode 0644.*chmod 600/], [dir, 0o777, /mode 0777.*chmod 700/], [dir, 0o775, /mode 0775/]] as const) {
      chmodSync(path, loose);
      expect(() => assertPrivate(path, 'key thing')).toThrow(pattern);
      chmodSync(path, path === dir ? 0o700 : 0o600);
    }
  });

  it.runIf(asRoot)('refuses a folder or file another user owns, whatever its mode', () => {
    const theirs = join(root, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, NOBODY, NOBODY);
    expect(() => privateDir(theirs)).toThrow(/owned by another user/);
    expect(() => assertPrivate(theirs, 'key folder')).toThrow(/owned by another user/);
    const file = join(root, 'their.key');
    writeFileSync(file, 'x', { mode: 0o600 });
    chownSync(file, NOBODY, NOBODY);
    expect(() => assertPrivate(file, 'key file')).toThrow(/owned by another user/);
    expect(() => privateFile(file, 'log')).toThrow(/owned by another user/);
  });
});
