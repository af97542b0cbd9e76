/**
 * What a bridge client sees, tier by tier (seed 004 §3.2), measured on the client: each record
 * it receives is put in the tier its entity is in for that client at that moment (own ship,
 * near, mid or far by distance from the own ship; torpedo; base; the crew's bridge, systems and
 * tubes entities), and once a second every entity held is counted as a second spent in its tier.
 * Records per entity-second is the rate that tier's entities were updated at.
 */
import type { ClientEntityOf, ClientRoom } from '@tickwire/client';
import { FAR, MID, NEAR } from '@tickwire/bridge/constants';
import type { Bridge } from '@tickwire/bridge/protocol';

export const TIERS = ['own ship', 'near ships', 'mid ships', 'far ships', 'torpedoes', 'bases', 'bridge (crew)', 'systems (crew)', 'tubes (crew)'] as const;
export type TierName = (typeof TIERS)[number];

export class TierMeter {
  readonly records = new Map<TierName, number>(TIERS.map((t) => [t, 0]));
  readonly entitySeconds = new Map<TierName, number>(TIERS.map((t) => [t, 0]));
  counting = false;

  constructor(
    private readonly room: ClientRoom<Bridge>,
    /** The player ship this client is on (its index). */
    private readonly ship: () => number | undefined,
  ) {
    const record = (e: ClientEntityOf<Bridge>) => {
      const tier = this.counting ? this.tierOf(e) : undefined;
      if (tier) this.records.set(tier, this.records.get(tier)! + 1);
    };
    room.on('add', record);
    room.on('change', record);
  }

  private own(): { x: number; y: number } | undefined {
    const index = this.ship();
    if (index === undefined) return undefined;
    for (const e of this.room.entities.values()) if (e.typeName === 'ship' && e.state.tag.ship === index + 1) return e.state.position;
    return undefined;
  }

  tierOf(e: ClientEntityOf<Bridge>): TierName | undefined {
    switch (e.typeName) {
      case 'torpedo':
        return 'torpedoes';
      case 'base':
        return 'bases';
      case 'bridge':
        return 'bridge (crew)';
      case 'systems':
        return 'systems (crew)';
      case 'tubes':
        return 'tubes (crew)';
      case 'ship': {
        if (e.state.tag.ship !== 0 && e.state.tag.ship === (this.ship() ?? -1) + 1) return 'own ship';
        const me = this.own();
        if (!me) return undefined;
        const d = Math.hypot(e.state.position.x - me.x, e.state.position.y - me.y);
        return d < NEAR ? 'near ships' : d < MID ? 'mid ships' : d < FAR ? 'far ships' : undefined;
      }
    }
  }

  /** Once a second: every entity held spent a second in its tier. */
  sample(): void {
    if (!this.counting) return;
    for (const e of this.room.entities.values()) {
      const tier = this.tierOf(e);
      if (tier) this.entitySeconds.set(tier, this.entitySeconds.get(tier)! + 1);
    }
  }
}
