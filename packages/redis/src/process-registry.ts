/**
 * The processes of a cluster, in Redis (the ProcessRegistry contract of @tickwire/server): each
 * game server process heartbeats its address, capacity and load here; the gateway lists them.
 *
 * Every operation is one Lua script, and every expiry is timed by Redis's clock (TIME), which
 * all processes share, so whether a process is alive does not depend on whose clock reads it.
 *
 * Keys (prefix `tickwire:` by default, the room registry's):
 * - `<prefix>process:<id>`: the record as JSON, with a Redis expiry one time-to-live long (so a
 *   dead process's key goes away by itself).
 * - `<prefix>processes`: a sorted set of ids by expiry, for listings; entries past their expiry
 *   are pruned by the next listing.
 */
import { checkProcessInfo, checkTtl, parseProcessInfo, type ProcessInfo, type ProcessRecord, type ProcessRegistry } from '@tickwire/server';
import type { Redis } from 'ioredis';
import { Script } from './script.js';

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: process key, processes zset. ARGV: record JSON, ttlMs, id. Returns expiresAt.
const HEARTBEAT = new Script(`${NOW}
local ends = now + tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ends, ARGV[3])
return ends`);

// KEYS: process key, processes zset. ARGV: id.
const REMOVE = new Script(`redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`);

// KEYS: process key, processes zset. ARGV: id. Returns {json, expiresAt} of a live process, or false.
const GET = new Script(`${NOW}
local ends = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or 0)
if ends <= now then return false end
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, tostring(ends)}`);

// KEYS: processes zset. ARGV: process key prefix. Returns flat {json, expiresAt, ...} of live processes.
const LIST = new Script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  local v = redis.call('GET', ARGV[1] .. ids[i])
  if v then table.insert(out, v) table.insert(out, ids[i + 1]) end
end
return out`);

export interface RedisProcessRegistryOptions {
  /** Key prefix shared by the processes of one deployment (default 'tickwire:'). */
  prefix?: string;
}

/**
 * @example
 * import { Redis } from 'ioredis';
 * const processes = new RedisProcessRegistry(new Redis(process.env.REDIS_URL!));
 * const server = createServer({ rooms, registry, cluster: { processes, url, httpUrl } });
 */
export class RedisProcessRegistry implements ProcessRegistry {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    options: RedisProcessRegistryOptions = {},
  ) {
    this.prefix = options.prefix ?? 'tickwire:';
  }

  private key(id: string): string {
    return `${this.prefix}process:${id}`;
  }

  private get setKey(): string {
    return `${this.prefix}processes`;
  }

  async heartbeat(info: ProcessInfo, ttlMs: number): Promise<ProcessRecord> {
    const checked = checkProcessInfo(info);
    const ttl = checkTtl(ttlMs);
    const ends = await HEARTBEAT.run(this.redis, 2, this.key(checked.id), this.setKey, JSON.stringify(checked), ttl, checked.id);
    return { ...checked, expiresAt: Number(ends) };
  }

  async remove(id: string): Promise<void> {
    await REMOVE.run(this.redis, 2, this.key(id), this.setKey, id);
  }

  async get(id: string): Promise<ProcessRecord | undefined> {
    const reply = await GET.run(this.redis, 2, this.key(id), this.setKey, id);
    if (!Array.isArray(reply) || reply.length !== 2) return undefined;
    const r: unknown[] = reply;
    return recordOf(r[0], r[1]);
  }

  async list(): Promise<ProcessRecord[]> {
    const reply = await LIST.run(this.redis, 1, this.setKey, `${this.prefix}process:`);
    const out: ProcessRecord[] = [];
    if (!Array.isArray(reply)) return out;
    const r: unknown[] = reply;
    for (let i = 0; i + 1 < r.length; i += 2) {
      const rec = recordOf(r[i], r[i + 1]);
      if (rec) out.push(rec);
    }
    return out;
  }
}

/** A stored record read back, or undefined when it is not one (a foreign or corrupt key). */
function recordOf(json: unknown, expiresAt: unknown): ProcessRecord | undefined {
  if (typeof json !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const info = parseProcessInfo(value);
  const ends = Number(expiresAt);
  return info && Number.isFinite(ends) ? { ...info, expiresAt: ends } : undefined;
}
