import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertPrivate } from '../files/private-paths.js';
import type { Logger } from '../logger.js';

/** Named 32-byte keys, newest first: the first one signs or encrypts, every one verifies or decrypts (rotation). */
export type KeyRing = ReadonlyArray<{ id: string; key: Buffer }>;

/**
 * The keys of one purpose (links, report seals, standing approvals), derived from the decision keys with a label:
 * every NEXUS process holds them already, ids and rotation follow them, and a MAC for one purpose passes for no other.
 */
export function purposeKeys(decisionKeys: KeyRing, label: string): KeyRing {
  return decisionKeys.map(({ id, key }) => ({ id, key: createHmac('sha256', key).update(label).digest() }));
}

export class KeyRingError extends Error {
  readonly code = 'key_ring_invalid';
}

/**
 * The configured ring, or one kept in `<dir>/<name>.key`, generated on first use. Every NEXUS process of an
 * install (API, worker) must hold the same keys: one machine shares the data dir, compose shares a volume, and a
 * real deployment sets NEXUS_DECISION_KEYS / NEXUS_PAYLOAD_KEYS from its secret store.
 */
export function resolveKeyRing(configured: KeyRing | undefined, dir: string, name: string, logger: Logger): KeyRing {
  if (configured) return configured;
  const file = join(dir, `${name}.key`);
  // A key someone else could have planted would let them sign decisions: refused, as ssh refuses such a key.
  if (existsSync(dir)) assertPrivate(dir, 'key folder');
  else mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existing = readKeyFile(file);
  if (existing) return existing;
  // Written aside, then linked into place: link fails if another process won the race, and nobody ever reads a
  // half-written file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, `${name}-1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    linkSync(temp, file);
    logger.warn({ file }, `generated a ${name} key; set it explicitly for any install of more than one machine`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temp);
  }
  const created = readKeyFile(file);
  if (!created) throw new KeyRingError(`${file} could not be read back`);
  return created;
}

function readKeyFile(file: string): KeyRing | undefined {
  let text: string;
  try {
    assertPrivate(file, 'key file');
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const ring = parseKeyRing(text.trim());
  if (!ring) throw new KeyRingError(`${file} is not a key ring (id:base64key, 32-byte keys)`);
  return ring;
}

/** `id:base64key[,id:base64key…]`; undefined when any part is malformed. */
export function parseKeyRing(text: string): KeyRing | undefined {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
  const ring = parts.map((part) => {
    const at = part.indexOf(':');
    return { id: part.slice(0, at), key: Buffer.from(part.slice(at + 1), 'base64') };
  });
  const valid = ring.length > 0 && ring.every((k) => /^[A-Za-z0-9_.-]{1,32}$/.test(k.id) && k.key.length === 32);
  return valid ? ring : undefined;
}
