import type { ServiceRole } from '../contracts/index.js';
import type { Config } from './config/load-config.js';
import { connectAmqp, type AmqpConnection } from '../infra/amqp.js';
import type { Logger } from '../infra/logger.js';
import { createRedis, waitForRedis, type Redis } from '../infra/redis.js';


/**
 * The Redis and RabbitMQ clients of the roles in one process, one per login: roles given the same URL share a client
 * (one process, one login), roles given their own login get their own, so each can do only what its user may.
 */
export class RoleClients {
  private readonly redisByUrl = new Map<string, Promise<Redis>>();
  private readonly amqpByUrl = new Map<string, Promise<AmqpConnection>>();

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    /** Where each client registers its close, in the caller's shutdown order. */
    private readonly stops: Array<() => Promise<unknown>>,
  ) {}

  /** Ready before it is returned: roles begin only with a working Redis. */
  redis(role: ServiceRole): Promise<Redis> {
    return this.once(this.redisByUrl, this.config.redis.roleUrls[role], async (url) => {
      const client = createRedis({ url, logger: this.logger, name: role });
      this.stops.push(() => client.quit());
      await waitForRedis(client);
      return client;
    });
  }

  amqp(role: Exclude<ServiceRole, 'bridge'>): Promise<AmqpConnection> {
    return this.once(this.amqpByUrl, this.config.amqp.roleUrls[role], async (url) => {
      const connection = await connectAmqp({ url, logger: this.logger, name: role });
      this.stops.push(() => connection.close());
      await connection.waitForConnect();
      return connection;
    });
  }

  private once<T>(cache: Map<string, Promise<T>>, url: string, open: (url: string) => Promise<T>): Promise<T> {
    let client = cache.get(url);
    if (!client) {
      client = open(url);
      cache.set(url, client);
    }
    return client;
  }
}
