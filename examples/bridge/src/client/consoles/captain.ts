/**
 * The captain: the tactical picture (20,000 units around the ship), the ship's state at a
 * glance (hull, shields, energy, speed, what the helm and weapons are doing), red alert, and who
 * is on each console. The captain gives orders by voice, as on a real bridge: the ship's chat.
 */
import { MID, NEAR, SYSTEMS } from '../../shared/constants.js';
import type { Deck, Screen } from '../deck.js';
import { button, el, meter, text } from '../dom.js';
import { mapScreen } from './map-screen.js';

export function captainScreen(deck: Deck, crewLine: () => string): Screen {
  const hull = meter('hull', 100);
  const fore = meter('fore shield', 100);
  const aft = meter('aft shield', 100);
  const energy = meter('energy', 1000);
  const status = el('div', { class: 'readout' });
  const damage = el('div', { class: 'readout small' });
  const crew = el('div', { class: 'readout small' });
  const alert = button('red alert', () => void deck.command('captain', 'alert', { red: !(deck.crew('bridge')?.state.orders.alert ?? false) }));
  const screen = mapScreen(deck, {
    title: 'Captain',
    range: MID,
    rings: [NEAR, MID],
    controls: [hull.root, fore.root, aft.root, energy.root, status, damage, alert, crew],
    options: () => ({ target: deck.crew('bridge')?.state.orders.target }),
    update() {
      const s = deck.own()?.state;
      const orders = deck.crew('bridge')?.state.orders;
      const sys = deck.crew('systems')?.state;
      if (s) {
        hull.set(s.hull.hp);
        fore.set(s.shields.fore);
        aft.set(s.shields.aft);
      }
      if (sys) energy.set(sys.reactor.energy);
      text(status, s && orders ? `speed ${Math.round(s.motion.speed)} · impulse ${orders.impulse} % · warp ${orders.warp} · shields ${s.shields.up ? 'up' : 'down'}${orders.docked ? ' · docked' : ''}` : '');
      text(damage, sys ? `damage: ${SYSTEMS.filter((k) => sys.damage[k] > 0).map((k) => `${k} ${sys.damage[k]} %`).join(', ') || 'none'}` : '');
      text(alert, orders?.alert ? 'stand down' : 'red alert');
      screen.root.classList.toggle('alert', orders?.alert === true);
      text(crew, crewLine());
    },
  });
  return screen;
}
