/**
 * Weapons: pick a target on the map (beams fire at it by themselves within 3,000 units, and
 * homing torpedoes chase it), load the four tubes with homing torpedoes or nukes, fire, and
 * raise or lower the shields. The tubes are crew-only state the server sends when they change.
 */
import { BEAM_RANGE, NEAR, ORDNANCE, TORPEDO_RANGE, TUBES, type Ordnance } from '../../shared/constants.js';
import type { Deck, EntityOf, Screen } from '../deck.js';
import { button, el, text } from '../dom.js';
import { contactOf } from '../sector-map.js';
import { mapScreen } from './map-screen.js';

type Tube = EntityOf<'tubes'>['state']['tube0'];

function tubesOf(e: EntityOf<'tubes'> | undefined): readonly Tube[] {
  return e ? [e.state.tube0, e.state.tube1, e.state.tube2, e.state.tube3] : [];
}

function tubeLine(tube: Tube, tick: number): string {
  if (tube.state === 'empty') return 'empty';
  if (tube.state === 'loaded') return `${tube.kind} ready`;
  const pct = Math.min(99, Math.round((100 * (tick - tube.from)) / Math.max(1, tube.ready - tube.from)));
  return `loading ${tube.kind} ${pct} %`;
}

export function weaponsScreen(deck: Deck): Screen {
  const rows = Array.from({ length: TUBES }, (_, i) => {
    const state = el('span', { class: 'tube-state' });
    const load = (kind: Ordnance) => button(`load ${kind}`, () => void deck.command('weapons', 'load', { tube: i, kind }));
    const fire = button('fire', () => void deck.command('weapons', 'fire', { tube: i }), { class: 'fire' });
    const unload = button('unload', () => void deck.command('weapons', 'unload', { tube: i }));
    return { state, root: el('div', { class: 'tube', 'data-tube': String(i) }, [el('b', {}, [`tube ${i + 1}`]), state, ...ORDNANCE.map(load), fire, unload]) };
  });
  const stock = el('div', { class: 'readout' });
  const target = el('div', { class: 'readout', id: 'target' });
  const shields = button('shields', () => void deck.command('weapons', 'shields', { up: !(deck.own()?.state.shields.up ?? true) }));
  const shieldLine = el('div', { class: 'readout' });
  return mapScreen(deck, {
    title: 'Weapons',
    range: NEAR,
    rings: [BEAM_RANGE, TORPEDO_RANGE, NEAR],
    controls: [
      target,
      el('div', {}, rows.map((r) => r.root)),
      stock,
      el('div', { class: 'row' }, [shields, shieldLine]),
      el('p', { class: 'help' }, [`Click a ship to target it. Beams fire at the target within ${BEAM_RANGE.toLocaleString('en')} units; homing torpedoes follow it.`]),
    ],
    onClick(_world, contact) {
      if (contact?.kind === 'ship' && contact.id !== deck.own()?.id) void deck.command('weapons', 'target', { id: contact.id });
    },
    options: () => ({ target: deck.crew('bridge')?.state.orders.target }),
    update() {
      const id = deck.crew('bridge')?.state.orders.target ?? 0;
      const e = id ? deck.room.entities.get(id) : undefined;
      const c = e && contactOf(e);
      text(target, `target: ${c ? (c.name === '?' ? `contact ${c.id}` : c.name) : 'none'}`);
      const tubes = deck.crew('tubes');
      tubesOf(tubes).forEach((tube, i) => {
        const row = rows[i]!;
        text(row.state, tubeLine(tube, deck.room.tick));
        row.root.dataset.state = tube.state;
      });
      text(stock, tubes ? `in store: ${tubes.state.stock.homing} homing, ${tubes.state.stock.nuke} nukes` : '');
      const s = deck.own()?.state.shields;
      text(shields, s?.up ? 'lower shields' : 'raise shields');
      text(shieldLine, s ? `fore ${s.fore} % · aft ${s.aft} %` : '');
    },
  });
}
