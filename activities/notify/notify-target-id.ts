import { createHash } from 'node:crypto';
import { canonicalJson, type NotifyTarget } from '../../contracts/index.js';

/**
 * A target's id: a hash of the whole entry, address included. The workflow's history carries the id, never the
 * address; an entry edited after an ask was made is another target, and the ask's pending notices to the old one
 * fail (`notify_target_gone`) instead of going to an address nobody approved for that ask.
 */
export function notifyTargetId(target: NotifyTarget): string {
  return createHash('sha256').update(canonicalJson(target)).digest('hex').slice(0, 16);
}
