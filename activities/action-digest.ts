import { createHash } from 'node:crypto';
import { canonicalJson, type Action } from '../contracts/index.js';

/** `sha256:<hex>` of the action's canonical JSON: what the approver saw is what the digest binds. */
export function actionDigest(action: Action): string {
  return `sha256:${createHash('sha256').update(canonicalJson(action)).digest('hex')}`;
}
