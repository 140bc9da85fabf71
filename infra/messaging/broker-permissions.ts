import type { ServiceRole } from '../../contracts/index.js';
import { deadLetterExchange, deadLetterQueue, migrationLockQueue, type ReportTopology } from './report-topology.js';

/** RabbitMQ's three permissions on a vhost, each a regex over exchange and queue names. */
export interface BrokerPermission {
  configure: string;
  write: string;
  read: string;
}

/** The names of this install (reports and remote agents) the permissions are written for. */
export interface BrokerNames {
  reports: ReportTopology;
  /** The remote agents' exchanges and reply queue (agents/remote/remote-topology.ts). */
  remote: { tasksExchange: string; announcementsExchange: string; repliesQueue: string };
}

/** Queues the broker names itself (the exclusive announcement queue of each API and worker). */
const SERVER_NAMED = 'amq\\.gen-.*';
const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const only = (...names: string[]) => (names.length === 0 ? '^$' : `^(${names.join('|')})$`);

/**
 * Least privilege per NEXUS role. In RabbitMQ, configure is declaring, write is publishing to an exchange (and
 * binding a queue), read is consuming a queue (and binding from an exchange). So: only the worker and the API publish
 * reports; only the bridge consumes them (and publishes nothing); only the worker publishes tasks and consumes remote
 * agents' replies; none of them publishes through the default exchange (a direct send to the bridge's queue).
 */
export function rolePermissions(n: BrokerNames): Record<ServiceRole, BrokerPermission> {
  const r = {
    exchange: escape(n.reports.exchange),
    dlx: escape(deadLetterExchange(n.reports)),
    queue: escape(n.reports.bridgeQueue),
    dead: escape(deadLetterQueue(n.reports)),
    lock: escape(migrationLockQueue(n.reports)),
  };
  const t = { tasks: escape(n.remote.tasksExchange), agents: escape(n.remote.announcementsExchange), replies: escape(n.remote.repliesQueue) };
  // Publishers declare the reports exchange only. The bridge declares its queue too, with a dead-letter exchange,
  // which RabbitMQ lets only a user who may read the queue and write to that exchange do.
  const remoteTopology = { configure: [t.tasks, t.agents, t.replies, SERVER_NAMED], write: [SERVER_NAMED], read: [t.agents, SERVER_NAMED] };
  return {
    api: {
      configure: only(r.exchange, ...remoteTopology.configure),
      write: only(r.exchange, ...remoteTopology.write),
      read: only(...remoteTopology.read),
    },
    worker: {
      configure: only(r.exchange, ...remoteTopology.configure),
      write: only(r.exchange, t.tasks, ...remoteTopology.write),
      read: only(t.replies, ...remoteTopology.read),
    },
    bridge: {
      configure: only(r.exchange, r.dlx, r.queue, r.dead, r.lock),
      write: only(r.queue, r.dead, r.dlx),
      read: only(r.exchange, r.dlx, r.queue),
    },
  };
}

/**
 * A remote agent: its own queue, bound to the tasks exchange, its announcements, and its replies. The remote-agent
 * protocol answers on `reply_to` through the default exchange, which RabbitMQ cannot restrict by queue: an agent can
 * send to any queue by name, and what it sends to the bridge's queue is refused there (reports are sealed).
 */
export function agentPermissions(n: BrokerNames, agentQueue: string): BrokerPermission {
  const t = { tasks: escape(n.remote.tasksExchange), agents: escape(n.remote.announcementsExchange) };
  const queue = escape(agentQueue);
  return {
    configure: only(t.tasks, t.agents, queue),
    write: only(queue, t.agents, 'amq\\.default'),
    read: only(t.tasks, queue),
  };
}
