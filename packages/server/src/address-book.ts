/**
 * What the server remembers per client address: how many connections it has open, how many of
 * its members wait for a reconnect, how fast it creates rooms, and whether it was just cut off for
 * flooding. A per-connection limit alone is reset by reconnecting; these are not.
 *
 * IPv6 clients are counted per /64 (one subscriber's network), since a single host may use any
 * address in it. Entries with nothing open and nothing to remember are swept, so a spray of
 * addresses costs bounded memory.
 */
import { isIPv6 } from 'node:net';
import type { Limits } from './limits.js';
import { TokenBucket } from './limits.js';

/** An address's shared allowances, held by each of its open connections. */
export interface AddressBudget {
  /** Messages of all its connections together: a reconnect does not refill it. */
  readonly messages: TokenBucket;
  /** Chat lines of all its connections together. */
  readonly chat: TokenBucket;
}

interface Entry extends AddressBudget {
  connections: number;
  detachedMembers: number;
  creations: TokenBucket;
  /** Until when new connections are refused (the address flooded). */
  penaltyUntil: number;
  lastSeen: number;
}

/** The key an address is counted under: itself for IPv4, its /64 for IPv6. */
export function addressKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!isIPv6(address)) return address;
  // Expand '::' to read the first four groups.
  const [head = '', tail = ''] = address.split('::');
  const groups = head ? head.split(':') : [];
  const rest = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  while (groups.length + rest.length < 8) groups.push('0');
  const full = [...groups, ...rest];
  return `${full.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export type Admission = { ok: true; budget: AddressBudget } | { ok: false; reason: string };

export class AddressBook {
  private readonly entries = new Map<string, Entry>();
  private lastSweep = -Infinity;

  constructor(private readonly limits: Limits) {}

  private entry(address: string, now: number): Entry {
    const key = addressKey(address);
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= 10_000 && now - this.lastSweep > 1000) this.sweep(now);
      const perMinute = this.limits.roomCreationsPerMinutePerAddress;
      const l = this.limits;
      e = {
        connections: 0,
        detachedMembers: 0,
        creations: new TokenBucket(perMinute / 60, perMinute, now),
        messages: new TokenBucket(l.messagesPerSecondPerAddress, l.messagesPerSecondPerAddress * 2, now),
        chat: new TokenBucket(l.chatPerSecondPerAddress, l.chatPerSecondPerAddress * 2, now),
        penaltyUntil: 0,
        lastSeen: now,
      };
      this.entries.set(key, e);
    }
    e.lastSeen = now;
    return e;
  }

  /** A connection opens: admitted, or refused with the reason. Admitted ones must be `disconnect`ed. */
  connect(address: string, now: number): Admission {
    const e = this.entry(address, now);
    if (e.penaltyUntil > now) {
      return { ok: false, reason: `this address flooded the server: try again in ${Math.ceil((e.penaltyUntil - now) / 1000)} s` };
    }
    if (e.connections >= this.limits.maxConnectionsPerAddress) {
      return { ok: false, reason: `too many connections from this address (${this.limits.maxConnectionsPerAddress})` };
    }
    e.connections++;
    return { ok: true, budget: e };
  }

  disconnect(address: string, now: number): void {
    const e = this.entry(address, now);
    if (e.connections > 0) e.connections--;
  }

  /** The address was closed for flooding: refuse its new connections for a while. */
  penalize(address: string, now: number): void {
    this.entry(address, now).penaltyUntil = now + this.limits.floodPenaltyMs;
  }

  /** Takes one room creation from the address's allowance; false when it has none left. */
  takeRoomCreation(address: string, now: number): boolean {
    return this.entry(address, now).creations.take(now);
  }

  /** A member of this address starts waiting for a reconnect; false when it has too many waiting. */
  holdMember(address: string, now: number): boolean {
    const e = this.entry(address, now);
    if (e.detachedMembers >= this.limits.maxDetachedSeatsPerAddress) return false;
    e.detachedMembers++;
    return true;
  }

  /** A waiting member was resumed or released. */
  releaseMember(address: string, now: number): void {
    const e = this.entry(address, now);
    if (e.detachedMembers > 0) e.detachedMembers--;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Forgets addresses with nothing open, no penalty, and a full creation allowance. */
  sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, e] of this.entries) {
      if (e.connections === 0 && e.detachedMembers === 0 && e.penaltyUntil <= now && now - e.lastSeen > 60_000) this.entries.delete(key);
    }
  }
}
