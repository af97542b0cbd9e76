/**
 * The room registry of a cluster, in Redis: which process owns each room, under a lease with a
 * fencing epoch (the RoomRegistry contract of @tickwire/server).
 *
 * Every operation is one Lua script, so a claim is atomic however many processes race for a
 * room, and every lease is timed by Redis's own clock (TIME), which all processes share: no
 * process's clock drift can make two of them think they own a room.
 *
 * Keys (prefix `tickwire:` by default):
 * - `<prefix>room:<code>`: a hash { owner, epoch, expiresAt, type }. It is kept after a release,
 *   with no owner, because epochs must keep rising for as long as storage remembers the room's
 *   newest epoch (fencing): it is about 100 bytes per room code ever claimed.
 * - `<prefix>claims`: a sorted set of claimed codes by lease end, for listings. A release removes
 *   its code; a claim that ran out stays, below the current time, as an orphan until it is taken
 *   over (a hand-off puts it there at once).
 *
 * Redis holds nothing here that must survive, with one caveat: if its data is lost, epochs
 * would start again at 1, and storage, which remembers each room's newest epoch, would refuse
 * every new owner as stale. A deployment that loses its Redis data sets `epochFloor` (the restart
 * time in seconds is a safe choice) so that every epoch starts above what storage has seen.
 */
import { checkRoomType, type ReleaseOptions, type RoomClaim, type RoomRegistry } from '@tickwire/server';
import type { Redis } from 'ioredis';
import { Script } from './script.js';

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: room hash, claims zset. ARGV: owner, leaseMs, code, epochFloor, type ('' for none).
// Returns {epoch, expiresAt} or false when another owner holds a live lease.
const CLAIM = new Script(`${NOW}
local h = redis.call('HMGET', KEYS[1], 'owner', 'epoch', 'expiresAt')
local owner = h[1] or ''
local epoch = tonumber(h[2]) or 0
local expires = tonumber(h[3]) or 0
local live = owner ~= '' and expires > now
if live and owner ~= ARGV[1] then return false end
if not live then epoch = math.max(epoch, tonumber(ARGV[4])) + 1 end
local ends = now + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'epoch', epoch, 'expiresAt', ends, 'type', ARGV[5])
redis.call('ZADD', KEYS[2], ends, ARGV[3])
return {epoch, ends}`);

// KEYS: room hash, claims zset. ARGV: owner, epoch, leaseMs, code. Returns expiresAt or false.
// A lease that ran out is still renewable while nobody claimed the code since (same epoch).
const RENEW = new Script(`${NOW}
local h = redis.call('HMGET', KEYS[1], 'owner', 'epoch')
if h[1] ~= ARGV[1] or tonumber(h[2]) ~= tonumber(ARGV[2]) then return false end
local ends = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'expiresAt', ends)
redis.call('ZADD', KEYS[2], ends, ARGV[4])
return ends`);

// KEYS: room hash, claims zset. ARGV: owner, epoch, code, handOff ('1' or '0').
// A hand-off ends the lease now but keeps the owner: the code is an orphan at once.
const RELEASE = new Script(`${NOW}
local h = redis.call('HMGET', KEYS[1], 'owner', 'epoch', 'expiresAt')
if h[1] == ARGV[1] and tonumber(h[2]) == tonumber(ARGV[2]) then
  if ARGV[4] == '1' then
    local ends = math.min(tonumber(h[3]) or 0, now)
    redis.call('HSET', KEYS[1], 'expiresAt', ends)
    redis.call('ZADD', KEYS[2], ends, ARGV[3])
  else
    redis.call('HSET', KEYS[1], 'owner', '', 'expiresAt', 0)
    redis.call('ZREM', KEYS[2], ARGV[3])
  end
end
return 1`);

// KEYS: room hash. Returns {owner, epoch, expiresAt, type} of a live claim, or false.
const LOOKUP = new Script(`${NOW}
local h = redis.call('HMGET', KEYS[1], 'owner', 'epoch', 'expiresAt', 'type')
if not h[1] or h[1] == '' or (tonumber(h[3]) or 0) <= now then return false end
return {h[1], tonumber(h[2]), tonumber(h[3]), h[4] or ''}`);

// Lists claims from the claims zset. KEYS: claims zset. ARGV: room key prefix.
// Returns flat {code, owner, epoch, expiresAt, type, ...}.
const listing = (range: string, test: string) => `${NOW}
local codes = redis.call('ZRANGEBYSCORE', KEYS[1], ${range})
local out = {}
for _, code in ipairs(codes) do
  local h = redis.call('HMGET', ARGV[1] .. code, 'owner', 'epoch', 'expiresAt', 'type')
  local ends = tonumber(h[3]) or 0
  if h[1] and h[1] ~= '' and ${test} then
    table.insert(out, code) table.insert(out, h[1]) table.insert(out, h[2]) table.insert(out, h[3]) table.insert(out, h[4] or '')
  end
end
return out`;

// Live claims, and orphans: claims whose lease ran out without a release (or handed off).
const LIST = new Script(listing(`'(' .. now, '+inf'`, 'ends > now'));
const ORPHANS = new Script(listing(`'-inf', now`, 'ends <= now'));

export interface RedisRegistryOptions {
  /** Key prefix shared by the processes of one deployment (default 'tickwire:'). */
  prefix?: string;
  /**
   * Every new epoch is above this (default 0). After the Redis data was lost, set it above every
   * epoch storage may have seen (the restart time in seconds is a safe choice).
   */
  epochFloor?: number;
}

/**
 * @example
 * import { Redis } from 'ioredis';
 * const registry = new RedisRegistry(new Redis('redis://127.0.0.1:6379'));
 * const server = createServer({ rooms, registry, processId: 'game-1' });
 */
export class RedisRegistry implements RoomRegistry {
  private readonly prefix: string;
  private readonly floor: number;

  constructor(
    private readonly redis: Redis,
    options: RedisRegistryOptions = {},
  ) {
    this.prefix = options.prefix ?? 'tickwire:';
    this.floor = Math.max(0, Math.floor(options.epochFloor ?? 0));
  }

  private roomKey(code: string): string {
    return `${this.prefix}room:${code}`;
  }

  private get claimsKey(): string {
    return `${this.prefix}claims`;
  }

  async claim(code: string, owner: string, leaseMs: number, type?: string): Promise<RoomClaim | undefined> {
    checkOwner(owner);
    checkRoomType(type);
    const r = await CLAIM.run(this.redis, 2, this.roomKey(code), this.claimsKey, owner, leaseOf(leaseMs), code, this.floor, type ?? '');
    const pair = numbers(r, 2);
    return pair ? withType({ code, owner, epoch: pair[0]!, expiresAt: pair[1]! }, type) : undefined;
  }

  async renew(claim: RoomClaim, leaseMs: number): Promise<RoomClaim | undefined> {
    const r = await RENEW.run(this.redis, 2, this.roomKey(claim.code), this.claimsKey, claim.owner, claim.epoch, leaseOf(leaseMs), claim.code);
    return typeof r === 'number' ? { ...claim, expiresAt: r } : undefined;
  }

  async release(claim: RoomClaim, options: ReleaseOptions = {}): Promise<void> {
    await RELEASE.run(this.redis, 2, this.roomKey(claim.code), this.claimsKey, claim.owner, claim.epoch, claim.code, options.handOff ? '1' : '0');
  }

  async lookup(code: string): Promise<RoomClaim | undefined> {
    const r = await LOOKUP.run(this.redis, 1, this.roomKey(code));
    if (!Array.isArray(r) || r.length !== 4) return undefined;
    const items: unknown[] = r;
    const [owner, epoch, expiresAt, type] = items;
    if (typeof owner !== 'string' || typeof epoch !== 'number' || typeof expiresAt !== 'number') return undefined;
    return withType({ code, owner, epoch, expiresAt }, type);
  }

  async list(owner?: string): Promise<RoomClaim[]> {
    const claims = await this.claims(LIST);
    return owner === undefined ? claims : claims.filter((c) => c.owner === owner);
  }

  orphans(): Promise<RoomClaim[]> {
    return this.claims(ORPHANS);
  }

  private async claims(script: Script): Promise<RoomClaim[]> {
    const reply = await script.run(this.redis, 1, this.claimsKey, `${this.prefix}room:`);
    const out: RoomClaim[] = [];
    if (!Array.isArray(reply)) return out;
    const r: unknown[] = reply;
    for (let i = 0; i + 4 < r.length; i += 5) {
      const code: unknown = r[i];
      const who: unknown = r[i + 1];
      const epoch = Number(r[i + 2]);
      const expiresAt = Number(r[i + 3]);
      if (typeof code !== 'string' || typeof who !== 'string' || !Number.isSafeInteger(epoch) || !Number.isFinite(expiresAt)) continue;
      out.push(withType({ code, owner: who, epoch, expiresAt }, r[i + 4]));
    }
    return out;
  }
}

/** The claim with its type when one was recorded ('' stands for none). */
function withType(claim: RoomClaim, type: unknown): RoomClaim {
  return typeof type === 'string' && type !== '' ? { ...claim, type } : claim;
}

/** An owner id is a process id: non-empty (empty marks a released claim). */
function checkOwner(owner: string): void {
  if (owner.length === 0) throw new RangeError('a claim needs a non-empty owner (the process id)');
}

function leaseOf(ms: number): number {
  if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`a lease must be a positive number of ms, got ${ms}`);
  return Math.ceil(ms);
}

/** The reply as `n` numbers, or undefined (a refused claim replies nil). */
function numbers(reply: unknown, n: number): number[] | undefined {
  if (!Array.isArray(reply) || reply.length !== n) return undefined;
  const out = reply.map(Number);
  return out.every(Number.isFinite) ? out : undefined;
}
