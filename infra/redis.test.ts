import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isPassingRedisReply } from './redis.js';

describe('isPassingRedisReply', () => {
  it('tells a cluster mid-failover (which the same write later gets past) from a reply that will repeat', () => {
    for (const message of ['CLUSTERDOWN The cluster is down', 'MOVED 7661 127.0.0.1:7002', 'ASK 7661 127.0.0.1:7002', 'TRYAGAIN Multiple keys request during rehashing of slot',
      'MASTERDOWN Link with MASTER is down', 'LOADING Redis is loading the dataset in memory', "READONLY You can't write against a read only replica.", 'NOREPLICAS Not enough good replicas to write.']) {
      expect(isPassingRedisReply(new ReplyError(message)), message).toBe(true);
    }
    for (const message of ['WRONGTYPE Operation against a key holding the wrong kind of value', 'ERR Error running script', 'NOPERM this user has no permissions', 'CROSSSLOT Keys in request don\'t hash to the same slot']) {
      expect(isPassingRedisReply(new ReplyError(message)), message).toBe(false);
    }
    expect(isPassingRedisReply('MOVED 1 h:1')).toBe(false);
  });
});
