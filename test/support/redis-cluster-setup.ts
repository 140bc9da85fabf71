import { LocalRedisCluster } from './redis-cluster.js';

/**
 * With NEXUS_TEST_REDIS=cluster, the run's Redis is a three-master Redis Cluster of its own: REDIS_URL names it
 * (`redis+cluster://…`) for every test file, which the forks inherit. `./nexus test` runs the stream, approval and
 * audit suites this way after the whole suite on one server.
 */
export default async function setup() {
  if (process.env.NEXUS_TEST_REDIS !== 'cluster') return undefined;
  const cluster = await LocalRedisCluster.start();
  process.env.REDIS_URL = cluster.url;
  return () => cluster.stop();
}
