/**
 * What one client of an interest-managed room holds, entity by entity, and its view digest.
 *
 * An open-addressing hash table (linear probing) in typed arrays, one slot per entity in the
 * view, so the per-candidate work of a snapshot reads a few adjacent numbers instead of chasing a
 * map entry, an object and its array per entity. Each slot is one stay of an entity in the view,
 * numbered so that an acknowledgement for an earlier stay of the same entity is told apart. A
 * slot keeps its place until the table is rebuilt (removals only mark it freed), so slots found
 * during an encode stay valid through it.
 *
 * The view digest (docs/protocol.md 8.6) lives here because each client holds a different set,
 * and of an entity only the fields it was sent: every slot keeps the digest term of each field
 * as last sent and its own share, and the table keeps their sum, so a record sent costs a few
 * additions and nothing walks the held entities. Over a link that may lose snapshots the table
 * also counts what the client may not hold as sent (an unacknowledged creation; a field sent
 * again after the value it acknowledged), so a digest goes out only in a snapshot after which
 * the client's view is known to the bit.
 */
import { presenceDigest } from '@tickwire/protocol';
import type { EntityRecord } from './entity-store.js';

const EMPTY = 0;
// Entity ids are 1..2^32-2: the two values left mark free and freed slots.
const FREED = 0xffffffff;
/** Flag: a snapshot carrying a creation of this stay was acknowledged. */
export const CREATED = 1;

export class HeldTable {
  size = 0;
  private freed = 0;
  /** 32 - log2(capacity): a Fibonacci hash keeps the product's high bits. */
  private shift = 28;
  keys = new Uint32Array(16);
  stay = new Int32Array(16);
  flags = new Uint8Array(16);
  /** Fields this stay's creation records carried so far (a later creation carries them too). */
  createMask = new Int32Array(16);
  /** Last tick a record for it was sent. */
  lastSent = new Int32Array(16);
  /** Encode stamp: marks the entities relevant in the current encode. */
  seen = new Int32Array(16);
  /** Accumulated priority while due and left out by the budget. */
  priority = new Float64Array(16);
  /** Per slot, `fields` numbers: the tick of the newest value of each field the client acknowledged (-1: none). */
  known: Int32Array;
  /**
   * Per slot: the tick of the last encode that found every field of `cleanMask` known (-1:
   * none). `known` only grows during a stay, so while the entity has not changed since that tick
   * those fields are still known, and an encode skips comparing them field by field.
   */
  cleanAt = new Int32Array(16);
  /** Per slot: the fields that encode compared (the ones its tier allowed then). */
  cleanMask = new Int32Array(16);
  // The digest's arrays are empty in a room that sends none.
  /** Per slot: the fields the client holds of this stay (its `received` mask as of the newest record sent). */
  holds: Int32Array;
  /** Per slot: the stay's share of the view digest, presence plus the terms of the fields it holds. */
  sums: Uint32Array;
  /** Per slot, `fields` numbers: each held field's digest term as last sent. */
  terms: Uint32Array;
  /** The client's view digest once it has applied the newest snapshot sent: the slots' shares added up. */
  digest = 0;
  /**
   * Per slot, `fields` numbers: the tick of the newest snapshot that carried each field. Kept
   * only while acknowledgements decide what the client holds (`trackSent`); otherwise every
   * snapshot counts as held when sent and nothing is ever unsure.
   */
  sent: Int32Array | null = null;
  /** Per slot: how many things the client may hold otherwise than sent (its creation, fields); with `sent`. */
  unsure = new Int32Array(0);
  /** The slots' unsure counts added up. */
  unsureTotal = 0;

  constructor(
    readonly fields: number,
    /** Keep the view digest (the room sends one). */
    readonly digests = false,
  ) {
    this.known = new Int32Array(16 * fields);
    this.holds = new Int32Array(digests ? 16 : 0);
    this.sums = new Uint32Array(digests ? 16 : 0);
    this.terms = new Uint32Array(digests ? 16 * fields : 0);
  }

  get capacity(): number {
    return this.keys.length;
  }

  /**
   * From now on what the client holds is known only from its acknowledgements: count what is
   * unsure (for the digest; nothing to count without one). What is held already was delivered
   * (each snapshot counted as held when sent).
   */
  trackSent(): void {
    if (this.sent || !this.digests) return;
    this.sent = new Int32Array(this.keys.length * this.fields).fill(-1);
    this.unsure = new Int32Array(this.keys.length);
  }

  /** The slot holding `id`, or -1. */
  find(id: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = Math.imul(id, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === id) return i;
      if (k === EMPTY) return -1;
    }
  }

  /** Adds `id` (not held) as stay `stay`: not created, nothing known. Returns its slot. */
  insert(id: number, stay: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    let i = Math.imul(id, 0x9e3779b1) >>> this.shift;
    while (keys[i] !== EMPTY && keys[i] !== FREED) i = (i + 1) & mask;
    if (keys[i] === FREED) this.freed--;
    keys[i] = id;
    this.stay[i] = stay;
    this.flags[i] = 0;
    this.createMask[i] = 0;
    this.lastSent[i] = 0;
    this.seen[i] = 0;
    this.priority[i] = 0;
    this.cleanAt[i] = -1;
    this.cleanMask[i] = 0;
    const f = this.fields;
    this.known.fill(-1, i * f, (i + 1) * f);
    if (this.digests) {
      this.holds[i] = 0;
      this.sums[i] = 0;
    }
    if (this.sent) {
      this.sent.fill(-1, i * f, (i + 1) * f);
      // Its creation is unsure until acknowledged.
      this.unsure[i] = 1;
      this.unsureTotal++;
    }
    this.size++;
    return i;
  }

  /** The stay left the view: its removal goes out with every snapshot until acknowledged. */
  delete(slot: number): void {
    if (this.digests) this.digest = (this.digest - this.sums[slot]!) >>> 0;
    if (this.sent) this.unsureTotal -= this.unsure[slot]!;
    this.keys[slot] = FREED;
    this.size--;
    this.freed++;
  }

  /** Entries are at slots where `keys` holds neither 0 nor FREED. */
  isEntry(slot: number): boolean {
    const k = this.keys[slot]!;
    return k !== EMPTY && k !== FREED;
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.size = 0;
    this.freed = 0;
    this.digest = 0;
    this.unsureTotal = 0;
  }

  /**
   * How many of the slot's unsure things a record sent now settles for this snapshot: a creation
   * replaces the entity (it carries every field the stay holds), an update the fields it carries.
   */
  settles(slot: number, mask: number, create: boolean): number {
    const sent = this.sent;
    if (!sent || this.unsure[slot] === 0) return 0;
    if (create) return this.unsure[slot]!;
    const base = slot * this.fields;
    let n = 0;
    for (let m = mask; m !== 0; m &= m - 1) {
      const at = base + 31 - Math.clz32(m & -m);
      if (sent[at]! > this.known[at]!) n++;
    }
    return n;
  }

  /** The fields of the slot the client may hold otherwise than last sent (sent again since acknowledged). */
  unsureFields(slot: number): number {
    const sent = this.sent;
    if (!sent) return 0;
    const base = slot * this.fields;
    let mask = 0;
    for (let m = this.holds[slot]!; m !== 0; m &= m - 1) {
      const bit = m & -m;
      const at = base + 31 - Math.clz32(bit);
      if (sent[at]! > this.known[at]!) mask |= bit;
    }
    return mask;
  }

  /**
   * A record for the slot went out at `tick` carrying `mask` of `rec`'s fields (a creation
   * replaces what the client holds of it): its digest share follows the published terms, and
   * what it carried is unsure until acknowledged.
   */
  carried(slot: number, rec: EntityRecord, mask: number, create: boolean, tick: number): void {
    if (!this.digests) return;
    const base = slot * this.fields;
    const terms = this.terms;
    const before = this.sums[slot]!;
    let sum = before;
    let holds = this.holds[slot]!;
    if (create) {
      sum = presenceDigest(rec.id, rec.type.index);
      holds = 0;
    }
    for (let m = mask; m !== 0; m &= m - 1) {
      const bit = m & -m;
      const i = 31 - Math.clz32(bit);
      const term = rec.terms[i]!;
      sum = (holds & bit) !== 0 ? sum + term - terms[base + i]! : sum + term;
      terms[base + i] = term;
      holds |= bit;
    }
    this.sums[slot] = sum >>> 0;
    this.holds[slot] = holds;
    this.digest = (this.digest + (sum >>> 0) - before) >>> 0;
    const sent = this.sent;
    if (!sent) return;
    for (let m = mask; m !== 0; m &= m - 1) {
      const at = base + 31 - Math.clz32(m & -m);
      if (!(sent[at]! > this.known[at]!)) {
        this.unsure[slot]!++;
        this.unsureTotal++;
      }
      sent[at] = tick;
    }
  }

  /** The client acknowledged a snapshot carrying field `i` of the slot's stay at `tick`. */
  learned(slot: number, i: number, tick: number): void {
    const at = slot * this.fields + i;
    const known = this.known;
    if (known[at]! >= tick) return;
    const sent = this.sent;
    const was = sent !== null && sent[at]! > known[at]!;
    known[at] = tick;
    if (was && !(sent[at]! > tick)) {
      this.unsure[slot]!--;
      this.unsureTotal--;
    }
  }

  /** The client acknowledged a snapshot carrying a creation of the slot's stay. */
  createdAcked(slot: number): void {
    if ((this.flags[slot]! & CREATED) !== 0) return;
    this.flags[slot]! |= CREATED;
    if (this.sent) {
      this.unsure[slot]!--;
      this.unsureTotal--;
    }
  }

  /**
   * Makes room for `more` insertions at under half full, dropping freed slots. Moves entries:
   * call it only between encodes, never while slots found earlier are in use.
   */
  reserve(more: number): void {
    const need = this.size + this.freed + more;
    if (need * 2 <= this.keys.length) return;
    let cap = this.keys.length;
    while ((this.size + more) * 2 > cap) cap *= 2;
    const old = {
      keys: this.keys,
      stay: this.stay,
      flags: this.flags,
      createMask: this.createMask,
      lastSent: this.lastSent,
      seen: this.seen,
      priority: this.priority,
      cleanAt: this.cleanAt,
      cleanMask: this.cleanMask,
      known: this.known,
      holds: this.holds,
      sums: this.sums,
      terms: this.terms,
      sent: this.sent,
      unsure: this.unsure,
    };
    const f = this.fields;
    this.keys = new Uint32Array(cap);
    this.stay = new Int32Array(cap);
    this.flags = new Uint8Array(cap);
    this.createMask = new Int32Array(cap);
    this.lastSent = new Int32Array(cap);
    this.seen = new Int32Array(cap);
    this.priority = new Float64Array(cap);
    this.cleanAt = new Int32Array(cap);
    this.cleanMask = new Int32Array(cap);
    this.known = new Int32Array(cap * f);
    const d = this.digests;
    this.holds = new Int32Array(d ? cap : 0);
    this.sums = new Uint32Array(d ? cap : 0);
    this.terms = new Uint32Array(d ? cap * f : 0);
    const sent = (this.sent = old.sent ? new Int32Array(cap * f) : null);
    this.unsure = new Int32Array(sent ? cap : 0);
    this.shift = 32 - Math.log2(cap);
    this.freed = 0;
    let size = 0;
    const mask = cap - 1;
    for (let j = 0; j < old.keys.length; j++) {
      const id = old.keys[j]!;
      if (id === EMPTY || id === FREED) continue;
      let i = Math.imul(id, 0x9e3779b1) >>> this.shift;
      while (this.keys[i] !== EMPTY) i = (i + 1) & mask;
      this.keys[i] = id;
      this.stay[i] = old.stay[j]!;
      this.flags[i] = old.flags[j]!;
      this.createMask[i] = old.createMask[j]!;
      this.lastSent[i] = old.lastSent[j]!;
      this.seen[i] = old.seen[j]!;
      this.priority[i] = old.priority[j]!;
      this.cleanAt[i] = old.cleanAt[j]!;
      this.cleanMask[i] = old.cleanMask[j]!;
      this.known.set(old.known.subarray(j * f, (j + 1) * f), i * f);
      if (d) {
        this.holds[i] = old.holds[j]!;
        this.sums[i] = old.sums[j]!;
        this.terms.set(old.terms.subarray(j * f, (j + 1) * f), i * f);
      }
      if (old.sent && sent) {
        this.unsure[i] = old.unsure[j]!;
        sent.set(old.sent.subarray(j * f, (j + 1) * f), i * f);
      }
      size++;
    }
    this.size = size;
  }
}

