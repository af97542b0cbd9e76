/**
 * A running round from one seat: the console's screen, the ship's other consoles to switch to
 * (a free one, on the same ship), the chat, and for the host the button that calls the mission
 * off. Drawn every animation frame; the SDK interpolates the world about 100 ms behind the server,
 * and the helm's own ship is predicted.
 */
import type { ClientRoom, ClientSession } from '@tickwire/client';
import type { Console } from '../shared/constants.js';
import type { Bridge } from '../shared/protocol.js';
import { chatBox } from './chat.js';
import { captainScreen } from './consoles/captain.js';
import { commsScreen } from './consoles/comms.js';
import { engineeringScreen } from './consoles/engineering.js';
import { helmScreen } from './consoles/helm.js';
import { scienceScreen } from './consoles/science.js';
import { weaponsScreen } from './consoles/weapons.js';
import { Deck, type Screen } from './deck.js';
import { button, el, text } from './dom.js';
import type { View } from './lobby-list.js';

function screenFor(deck: Deck, session: ClientSession<Bridge>): Screen {
  const crewLine = () =>
    session.roles
      .map((role) => `${role}: ${session.occupant(deck.ship, role)?.name ?? '—'}`)
      .join(' · ');
  const screens: Record<Console, () => Screen> = {
    helm: () => helmScreen(deck),
    weapons: () => weaponsScreen(deck),
    engineering: () => engineeringScreen(deck),
    science: () => scienceScreen(deck),
    comms: () => commsScreen(deck),
    captain: () => captainScreen(deck, crewLine),
  };
  return screens[deck.console]();
}

/** What happens to this ship, in its log: hits, comms, its destruction. */
function listen(deck: Deck): () => void {
  return deck.room.on('event', (ev) => {
    const own = deck.own();
    if (ev.name === 'hit' && ev.payload.target === own?.id) deck.log(`hit on the ${ev.payload.fore ? 'fore' : 'aft'} shield: ${ev.payload.damage}`, 'bad');
    else if (ev.name === 'comms') deck.log(`${ev.payload.from}: ${ev.payload.text}`, 'comms');
    else if (ev.name === 'destroyed' && ev.payload.id === own?.id) deck.log('we have been destroyed: back at our base in 10 s', 'bad');
  });
}

export function bridgeView(room: ClientRoom<Bridge>, session: ClientSession<Bridge>, ship: number, console: Console, deck: Deck): View {
  const screen = screenFor(deck, session);
  const stations = session.roles.map((role) => {
    const b = button(role, () => void session.claim(ship, role).catch((err: Error) => deck.log(`cannot switch: ${err.message}`, 'bad')), { 'data-console': role });
    b.classList.toggle('on', role === console);
    b.disabled = role !== console && session.occupant(ship, role) !== undefined;
    return b;
  });
  const status = el('span', { class: 'destroyed' });
  const end = button('end mission', () => void deck.command('mission', 'end', {}), { id: 'end-mission' });
  const chat = chatBox(session);
  const root = el('div', { class: 'bridge' }, [
    el('div', { class: 'stations' }, [el('b', {}, [`${session.groups[ship] ?? 'ship'} · ${console}`]), ...stations, status, session.isHost ? end : '']),
    el('div', { class: 'body' }, [screen.root, chat.root]),
  ]);
  const off = listen(deck);
  let frame = 0;
  const draw = (now: number) => {
    room.interpolate();
    screen.frame(now);
    const hull = deck.own()?.state.hull.hp;
    text(status, hull === 0 ? 'DESTROYED: returning to base' : '');
    frame = requestAnimationFrame(draw);
  };
  frame = requestAnimationFrame(draw);
  return {
    root,
    dispose() {
      cancelAnimationFrame(frame);
      screen.dispose();
      chat.dispose();
      off();
    },
  };
}
