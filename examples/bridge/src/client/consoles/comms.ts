/**
 * Comms: hail any contact on the map. Ask it to identify itself, tell an enemy to surrender (a
 * badly damaged one may), taunt one (it comes after this ship), or ask a base for docking. The
 * answers, and command's messages, arrive as events to this crew and go in the ship's log.
 */
import { HAILS, MID } from '../../shared/constants.js';
import type { Deck, Screen } from '../deck.js';
import { button, el, text } from '../dom.js';
import { contactOf } from '../sector-map.js';
import { mapScreen } from './map-screen.js';

export function commsScreen(deck: Deck): Screen {
  let selected = 0;
  const info = el('div', { class: 'readout' });
  const hails = HAILS.map((message) => button(message, () => selected !== 0 && void deck.command('comms', 'hail', { id: selected, message })));
  return mapScreen(deck, {
    title: 'Comms',
    range: MID,
    rings: [MID],
    controls: [info, el('div', { class: 'row' }, hails), el('p', { class: 'help' }, ['Click a contact, then hail it.'])],
    onClick: (_world, contact) => contact && (selected = contact.id),
    options: () => ({ target: selected }),
    update() {
      const e = selected ? deck.room.entities.get(selected) : undefined;
      const c = e && contactOf(e);
      text(info, c ? `channel to ${c.name === '?' ? `unknown contact ${c.id}` : c.name}` : 'select a contact to hail');
    },
  });
}
