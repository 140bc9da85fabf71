/** The names of this machine's loopback interface, as hosts, Host headers and listen addresses spell them. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The one loopback test: local mode's listen check, its Host-header check, the dev-server decision, and where a
 * notice (a link, a credential) may go in the clear — a policy file's notify URL, the mail server — use it.
 */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase());
}
