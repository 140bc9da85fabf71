import { urlWithLogin } from './url-login.js';

/** One node of a Redis Cluster, as its seed list names it. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where NEXUS's Redis is: one server (`redis://`, `rediss://`, as ioredis reads them) or a cluster,
 * `redis+cluster://[user[:password]@]host:port[,host:port…]` (`rediss+cluster://` with TLS). The cluster's nodes are
 * seeds: the client learns the rest, and which node holds which slot, from whichever answers first.
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[]; username: string | undefined; password: string | undefined; tls: boolean };

const SERVER = /^rediss?:\/\/[^\s]*$/;
// No path: a cluster has database 0 only, and a `/2` that silently meant nothing would hide a mistake.
const CLUSTER = /^(rediss?)\+cluster:\/\/(?:([^@/?#\s]*)@)?([^@/?#\s]+)\/?$/;
const NODE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The target a URL names, or undefined when it names none (config refuses it with the forms it accepts). */
export function parseRedisUrl(url: string): RedisTarget | undefined {
  const cluster = CLUSTER.exec(url);
  if (!cluster) return SERVER.test(url) ? { kind: 'server', url } : undefined;
  const [, scheme, login, list = ''] = cluster;
  const nodes: RedisNode[] = [];
  for (const seed of list.split(',')) {
    const node = NODE.exec(seed);
    const port = Number(node?.[2]);
    if (!node?.[1] || port < 1 || port > 65_535) return undefined;
    nodes.push({ host: node[1].replace(/^\[(.*)\]$/, '$1'), port });
  }
  const credentials = login === undefined ? undefined : decodeLogin(login);
  if (login !== undefined && !credentials) return undefined;
  return { kind: 'cluster', nodes, username: credentials?.username, password: credentials?.password, tls: scheme === 'rediss' };
}

/** The URL with a login in place of whatever it held (the per-role URLs `./nexus start` writes). */
export function redisUrlWithLogin(url: string, username: string, password: string): string {
  const target = parseRedisUrl(url);
  if (target?.kind === 'cluster') return clusterUrl(target, `${encodeURIComponent(username)}:${encodeURIComponent(password)}`);
  return urlWithLogin(url, username, password);
}

/** A cluster's URL again, with `login` (already encoded) or, for logs, without one. */
export function clusterUrl(target: Extract<RedisTarget, { kind: 'cluster' }>, login?: string): string {
  const seeds = target.nodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',');
  return `${target.tls ? 'rediss' : 'redis'}+cluster://${login === undefined ? '' : `${login}@`}${seeds}`;
}

/** The hosts a URL points at: one for a server, each seed for a cluster. */
export function redisHosts(url: string): string[] {
  const target = parseRedisUrl(url);
  if (target?.kind === 'cluster') return target.nodes.map((n) => n.host);
  return [new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')];
}

function decodeLogin(login: string): { username: string | undefined; password: string | undefined } | undefined {
  const colon = login.indexOf(':');
  try {
    const user = decodeURIComponent(colon < 0 ? login : login.slice(0, colon));
    const password = colon < 0 ? undefined : decodeURIComponent(login.slice(colon + 1));
    return { username: user === '' ? undefined : user, password };
  } catch {
    return undefined;
  }
}
