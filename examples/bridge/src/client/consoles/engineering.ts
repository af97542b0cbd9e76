/**
 * Engineering: power to each system (0-300 %: more is stronger but heats it up), coolant to
 * keep hot systems from burning out (8 units to share), and the reactor's energy. The systems
 * are crew-only state the server writes at 5 Hz.
 */
import { COOLANT_UNITS, MAX_COOLANT, MAX_ENERGY, MAX_POWER, SYSTEMS, type SystemName } from '../../shared/constants.js';
import type { Deck, Screen } from '../deck.js';
import { button, el, meter, text } from '../dom.js';

export function engineeringScreen(deck: Deck): Screen {
  const energy = meter('energy', MAX_ENERGY);
  const rows = SYSTEMS.map((system: SystemName) => {
    const power = el('input', { type: 'range', min: '0', max: String(MAX_POWER), step: '10', value: '100', 'data-system': system });
    power.addEventListener('change', () => void deck.command('engineering', 'power', { system, level: Number(power.value) }));
    const level = el('span', { class: 'value' });
    const coolant = el('span', { class: 'value' });
    const heat = meter('heat', 100, 80);
    const damage = meter('damage', 100, 50);
    const cool = (d: number) => () => {
      const now = deck.crew('systems')?.state.coolant[system] ?? 0;
      void deck.command('engineering', 'coolant', { system, units: Math.max(0, Math.min(MAX_COOLANT, now + d)) });
    };
    const root = el('div', { class: 'system' }, [el('b', {}, [system]), power, level, button('−', cool(-1)), coolant, button('+', cool(1)), heat.root, damage.root]);
    return { system, power, level, coolant, heat, damage, root };
  });
  const drive = el('div', { class: 'readout' });
  const panel = el('div', { class: 'panel wide' }, [
    el('h2', {}, ['Engineering']),
    energy.root,
    drive,
    el('div', { class: 'systems' }, rows.map((r) => r.root)),
    el('p', { class: 'help' }, [`Power above 100 % heats a system; coolant (${COOLANT_UNITS} units) takes the heat away. At 100 % heat a system takes damage.`]),
    deck.logView,
  ]);
  const root = el('div', { class: 'screen' }, [panel]);
  return {
    root,
    frame() {
      const sys = deck.crew('systems')?.state;
      if (!sys) return;
      energy.set(sys.reactor.energy);
      const ship = deck.own()?.state;
      text(drive, ship ? `drive output: impulse ${ship.drive.impulse} %, warp ${ship.drive.warp} %` : '');
      for (const r of rows) {
        // The slider follows the server unless it is being dragged.
        if (document.activeElement !== r.power) r.power.value = String(sys.power[r.system]);
        text(r.level, `${sys.power[r.system]} %`);
        text(r.coolant, `${sys.coolant[r.system]} coolant`);
        r.heat.set(sys.heat[r.system]);
        r.damage.set(sys.damage[r.system]);
      }
    },
    dispose() {},
  };
}
