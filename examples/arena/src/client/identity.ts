/**
 * Which pilot this tab plays, and the seat it holds.
 *
 * A pilot is an anonymous identity the server issued (`POST /api/anonymous`), kept in
 * localStorage so a returning player gets their pilot (and its saved resources) back. Two tabs
 * must still be two players, so identities live in numbered slots and each tab holds one slot
 * with the Web Locks API for as long as it is open: a second tab finds slot 0 taken and plays
 * the pilot of slot 1. A reload releases its slot and claims it again (this tab remembers which
 * one in sessionStorage), so it stays the same pilot.
 *
 * The seat is per tab: its resume token sits in sessionStorage with the room code and the user
 * it was issued to, so a reload resumes the same ship instead of joining a second one.
 */
import { anonymousIdentity, type AnonymousIdentity } from '@tickwire/client';

const SLOTS = 32;
const SLOT_KEY = 'tickwire-slot';
const RESUME_KEY = 'tickwire-resume';
const RELOAD_GRACE_MS = 2000;

/** Where this tab's pilot is stored: a locked slot in localStorage, or (no Web Locks) this tab only. */
export interface PilotSlot {
  storage: Storage;
  key: string;
  /** `slot 3`, or `this tab` */
  label: string;
}

/**
 * Claims the first free identity slot for this tab's life (the one it had before a reload
 * first). Without Web Locks (a page served over plain http to another machine is not a secure
 * context) the pilot is this tab's alone, kept in sessionStorage.
 */
export async function claimSlot(): Promise<PilotSlot> {
  const locks = 'locks' in navigator ? navigator.locks : undefined;
  if (locks) {
    const before = Number(sessionStorage.getItem(SLOT_KEY) ?? Number.NaN);
    const had = Number.isInteger(before) && before >= 0 && before < SLOTS ? before : undefined;
    // After a reload the page that held our slot may not have let go of it yet: wait a moment
    // for it. Another tab that holds it for good (a duplicated tab copies sessionStorage) is
    // left alone after that.
    if (had !== undefined && (await hold(locks, `tickwire-slot-${had}`, RELOAD_GRACE_MS))) return slot(had);
    for (let n = 0; n < SLOTS; n++) {
      if (n !== had && (await hold(locks, `tickwire-slot-${n}`))) return slot(n);
    }
  }
  return { storage: sessionStorage, key: 'tickwire-pilot', label: 'this tab' };
}

function slot(n: number): PilotSlot {
  sessionStorage.setItem(SLOT_KEY, String(n));
  return { storage: localStorage, key: `tickwire-pilot-${n}`, label: `slot ${n}` };
}

/**
 * Takes a lock and keeps it until the page goes away; false when another tab has it (at once,
 * or after waiting `waitMs` for it).
 */
function hold(locks: LockManager, name: string, waitMs = 0): Promise<boolean> {
  const options: LockOptions = waitMs > 0 ? { signal: AbortSignal.timeout(waitMs) } : { ifAvailable: true };
  return new Promise<boolean>((resolve) => {
    locks
      .request(name, options, (lock) => {
        resolve(lock !== null);
        // A promise that never settles holds the lock for the tab's life.
        return lock ? new Promise<never>(() => undefined) : undefined;
      })
      .catch(() => resolve(false));
  });
}

interface StoredPilot {
  identity?: AnonymousIdentity;
  name?: string;
}

/** The pilot in a slot: its identity (fetched from the server the first time) and its name. */
export class Pilot {
  private stored: StoredPilot;

  constructor(readonly slot: PilotSlot) {
    this.stored = read<StoredPilot>(slot.storage, slot.key) ?? {};
  }

  get name(): string | undefined {
    return this.stored.name;
  }

  set name(name: string) {
    this.stored.name = name;
    this.save();
  }

  /** The pilot's identity; asks the server for one when the slot has none (or `fresh`). */
  async identity(server: string, fresh = false): Promise<AnonymousIdentity> {
    if (this.stored.identity && !fresh) return this.stored.identity;
    this.stored.identity = await anonymousIdentity(server);
    this.save();
    return this.stored.identity;
  }

  private save(): void {
    this.slot.storage.setItem(this.slot.key, JSON.stringify(this.stored));
  }
}

interface StoredSeat {
  room: string;
  userId: string;
  token: string;
}

/** This tab's resume token for `room`, if it holds one issued to `userId`. */
export function savedSeat(room: string, userId: string): Uint8Array | undefined {
  const seat = read<StoredSeat>(sessionStorage, RESUME_KEY);
  if (!seat || seat.room !== room || seat.userId !== userId || !/^([0-9a-f]{2})+$/.test(seat.token)) return undefined;
  return Uint8Array.from(seat.token.match(/../g)!, (h) => parseInt(h, 16));
}

export function saveSeat(room: string, userId: string, token: Uint8Array): void {
  const hex = Array.from(token, (b) => b.toString(16).padStart(2, '0')).join('');
  sessionStorage.setItem(RESUME_KEY, JSON.stringify({ room, userId, token: hex } satisfies StoredSeat));
}

export function forgetSeat(): void {
  sessionStorage.removeItem(RESUME_KEY);
}

function read<T>(storage: Storage, key: string): T | undefined {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : undefined;
  } catch {
    // Unreadable (edited by hand, or an older page's format): start over.
    return undefined;
  }
}
