/**
 * What every console screen works with: the joined room, which ship this player is on, that
 * ship's public entity and its crew-only entities, commands that report a refusal in the ship's
 * log, and the log itself. One Deck per seat; a console is a view on it.
 */
import type { ClientEntityOf, ClientRoom } from '@tickwire/client';
import type { ActionName, CommandPayload, FeatureName } from '@tickwire/protocol';
import type { Console } from '../shared/constants.js';
import type { Bridge } from '../shared/protocol.js';
import { el } from './dom.js';

export type AnyEntity = ClientEntityOf<Bridge>;
export type EntityOf<T extends AnyEntity['typeName']> = Extract<AnyEntity, { typeName: T }>;

/** Whether an entity is of type `type` (narrows it). */
export function isType<T extends AnyEntity['typeName']>(e: AnyEntity, type: T): e is EntityOf<T> {
  return e.typeName === type;
}

/** The ship a crew-only entity belongs to (-1 for other entities). */
function crewShip(e: AnyEntity): number {
  return e.typeName === 'bridge' || e.typeName === 'systems' || e.typeName === 'tubes' ? e.state.crew.ship : -1;
}

export class Deck {
  constructor(
    readonly room: ClientRoom<Bridge>,
    /** The player ship's index (0-7) and this player's console on it. */
    readonly ship: number,
    readonly console: Console,
    /** The ship log: comms, hits, refusals; newest last (kept when the player switches consoles). */
    readonly logView: HTMLUListElement = el('ul', { class: 'log' }),
  ) {}

  /** This crew's ship as replicated (near tier: every field). */
  own(): EntityOf<'ship'> | undefined {
    for (const e of this.room.entities.values()) if (e.typeName === 'ship' && e.state.tag.ship === this.ship + 1) return e;
    return undefined;
  }

  /** One of this crew's channel entities: `bridge`, `systems` or `tubes`. */
  crew<T extends 'bridge' | 'systems' | 'tubes'>(type: T): EntityOf<T> | undefined {
    for (const e of this.room.entities.values()) if (isType(e, type) && crewShip(e) === this.ship) return e;
    return undefined;
  }

  /** Sends a command; a refusal goes to the log (the promise settles either way). */
  async command<F extends FeatureName<Bridge>, A extends ActionName<Bridge, F>>(feature: F, action: A, payload: CommandPayload<Bridge, F, A>): Promise<boolean> {
    try {
      await this.room.sendCommand(feature, action, payload);
      return true;
    } catch (err) {
      this.log(`refused: ${err instanceof Error ? err.message : String(err)}`, 'bad');
      return false;
    }
  }

  log(text: string, tone: 'info' | 'bad' | 'comms' = 'info'): void {
    const li = el('li', { class: tone }, [text]);
    this.logView.append(li);
    while (this.logView.children.length > 60) this.logView.firstElementChild!.remove();
    this.logView.scrollTop = this.logView.scrollHeight;
  }
}

/** A console screen: drawn every frame until disposed. */
export interface Screen {
  readonly root: HTMLElement;
  frame(now: number): void;
  dispose(): void;
}
