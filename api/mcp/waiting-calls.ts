import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

/**
 * The tool calls waiting in this API process, by who sent them, in which tenant, under which JSON-RPC id. The
 * transport is stateless, so a client's `notifications/cancelled` arrives in a request of its own, to a server that
 * never saw the call: this is where it finds the call to end. Two clients of one principal that reuse an id (each
 * client counts from 0) both stop waiting; their commands go on either way.
 */
interface Waiting {
  controller: AbortController;
  onCancel: () => void;
}

export class WaitingCalls {
  private readonly calls = new Map<string, Set<Waiting>>();

  static key(owner: string, tenant: { org_id: string; project_id: string }, id: RequestId): string {
    return JSON.stringify([owner, tenant.org_id, tenant.project_id, typeof id, String(id)]);
  }

  /**
   * Registers a waiting call; its signal aborts when `signal` does or the call is cancelled, and a cancel also calls
   * `onCancel` (which ends the call's response: a cancelled request gets no answer). Call `leave` when done.
   */
  enter(key: string, signal: AbortSignal, onCancel: () => void): { signal: AbortSignal; leave: () => void } {
    const waiting: Waiting = { controller: new AbortController(), onCancel };
    let set = this.calls.get(key);
    if (!set) this.calls.set(key, (set = new Set()));
    set.add(waiting);
    return {
      signal: AbortSignal.any([signal, waiting.controller.signal]),
      leave: () => {
        set.delete(waiting);
        if (set.size === 0 && this.calls.get(key) === set) this.calls.delete(key);
      },
    };
  }

  /** Ends the waits registered under `key`; how many there were. */
  cancel(key: string): number {
    const set = this.calls.get(key);
    for (const waiting of set ?? []) {
      waiting.controller.abort();
      waiting.onCancel();
    }
    return set?.size ?? 0;
  }

  get size(): number {
    let n = 0;
    for (const set of this.calls.values()) n += set.size;
    return n;
  }
}
