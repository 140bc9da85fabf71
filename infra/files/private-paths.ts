import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';

/** A path NEXUS will not trust or keep secrets in: another user owns it, or others may write (or read) it. */
export class UnsafePathError extends Error {
  readonly code = 'path_not_private';
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

/** Who this process runs as; absent where the platform has no uids (then ownership cannot be told). */
function myUid(): number | undefined {
  return process.getuid?.();
}

function refuseForeignOwner(path: string, what: string, stats: Stats): void {
  const me = myUid();
  if (me !== undefined && stats.uid !== me) {
    throw new UnsafePathError(`${what} ${path} is owned by another user (uid ${stats.uid}, NEXUS runs as ${me}); refusing to use it`);
  }
}

/**
 * A folder only this user may enter (0700): created so, or tightened if this user already owns it. One that
 * another user owns is refused: whoever made it first could read what NEXUS keeps there.
 */
export function privateDir(dir: string, what = 'data folder'): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = statSync(dir);
  if (!stats.isDirectory()) throw new UnsafePathError(`${what} ${dir} is not a folder`);
  refuseForeignOwner(dir, what, stats);
  // A shared folder such as /tmp (sticky, others may write) is not NEXUS's to close.
  if ((stats.mode & 0o1000) !== 0) throw new UnsafePathError(`${what} ${dir} is a shared folder (mode ${octal(stats.mode)}); give NEXUS a folder of its own`);
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/**
 * Trusts an existing key file or key folder only as ssh trusts a private key: owned by this user, and nobody else
 * may write it (a planted key would sign decisions an attacker can forge); a key file nobody else may read
 * either. Refuses with one line saying what to fix; it never repairs, since it cannot know who wrote it.
 */
export function assertPrivate(path: string, what: string): void {
  const stats = statSync(path);
  refuseForeignOwner(path, what, stats);
  const open = stats.isDirectory() ? stats.mode & 0o022 : stats.mode & 0o077;
  if (open !== 0) {
    const fix = stats.isDirectory() ? 'chmod 700' : 'chmod 600';
    throw new UnsafePathError(`${what} ${path} has mode ${octal(stats.mode)}, open to other users; refusing to use it (${fix} it if you made it, or remove it)`);
  }
}

/** A file only this user may read or write (0600), created empty if missing, tightened if it is this user's. */
export function privateFile(path: string, what: string): void {
  const fd = openSync(path, 'a', 0o600);
  try {
    const stats = fstatSync(fd);
    refuseForeignOwner(path, what, stats);
    if ((stats.mode & 0o077) !== 0) chmodSync(path, 0o600);
  } finally {
    closeSync(fd);
  }
}
