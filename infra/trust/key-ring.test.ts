import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { UnsafePathError } from '../files/private-paths.js';
import { resolveKeyRing } from './key-ring.js';

// The keys NEXUS generates when none are configured, and the ones someone else could plant before it starts.
const root = mkdtempSync(join(tmpdir(), 'nexus-keys-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = createLogger('silent');
const KNOWN = `decision-1:${Buffer.alloc(32, 7).toString('base64')}\n`;

describe('key files', () => {
  it('generates a key readable by this user only, in a folder only this user enters, and reads it back', () => {
    const dir = join(root, 'fresh', 'keys');
    const ring = resolveKeyRing(undefined, dir, 'decision', quiet);
    expect(ring[0]?.key).toHaveLength(32);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'decision.key')).mode & 0o777).toBe(0o600);
    expect(resolveKeyRing(undefined, dir, 'decision', quiet)).toEqual(ring);
  });

  it('refuses a planted key: a key folder open to everyone holding a key anyone could have written', () => {
    const dir = join(root, 'planted');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, 'decision.key'), KNOWN);
    chmodSync(join(dir, 'decision.key'), 0o666);
    expect(() => resolveKeyRing(undefined, dir, 'decision', quiet)).toThrow(UnsafePathError);
    expect(() => resolveKeyRing(undefined, dir, 'decision', quiet)).toThrow(/key folder .* mode 0777/);
    // Closing the folder is not enough while the file itself stays open.
    chmodSync(dir, 0o700);
    expect(() => resolveKeyRing(undefined, dir, 'decision', quiet)).toThrow(/key file .* mode 0666/);
  });

  it.runIf(process.getuid?.() === 0)('refuses a key folder another user made first, even a closed one', () => {
    const dir = join(root, 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    expect(() => resolveKeyRing(undefined, dir, 'payload', quiet)).toThrow(/key folder .* owned by another user/);
  });

  it('uses configured keys without touching the disk', () => {
    const configured = [{ id: 'k1', key: Buffer.alloc(32, 1) }];
    expect(resolveKeyRing(configured, join(root, 'never-made'), 'decision', quiet)).toBe(configured);
  });
});
