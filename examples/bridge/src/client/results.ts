/**
 * The results of a round: won or lost, how long it took, and each ship's line (damage dealt and
 * taken, torpedoes fired, kills, losses, scans); then back to the lobby for another round, or
 * leave. The server keeps them for five minutes before it closes the session.
 */
import type { ClientSession } from '@tickwire/client';
import type { Bridge } from '../shared/protocol.js';
import { chatBox } from './chat.js';
import { button, el } from './dom.js';
import type { View } from './lobby-list.js';

const COLUMNS = ['damageDealt', 'damageTaken', 'torpedoesFired', 'kills', 'losses', 'scans'] as const;
const HEADINGS: Record<(typeof COLUMNS)[number], string> = {
  damageDealt: 'damage dealt',
  damageTaken: 'damage taken',
  torpedoesFired: 'torpedoes',
  kills: 'kills',
  losses: 'losses',
  scans: 'scans',
};

export function resultsView(session: ClientSession<Bridge>, leave: () => void): View {
  const r = session.results;
  const error = el('p', { class: 'error' });
  const chat = chatBox(session);
  const lobby = button('back to the lobby', () => session.backToLobby().catch((err: Error) => (error.textContent = err.message)), { class: 'primary' });
  if (!r) return { root: el('p', {}, ['The round is over.']), dispose: chat.dispose };
  const minutes = `${Math.floor(r.session.seconds / 60)} min ${r.session.seconds % 60} s`;
  const table = el('table', { id: 'results' }, [
    el('thead', {}, [el('tr', {}, [el('th', {}, ['ship']), ...COLUMNS.map((c) => el('th', {}, [HEADINGS[c]]))])]),
    el('tbody', {}, r.groups.map((g) => el('tr', {}, [el('td', {}, [g.name]), ...COLUMNS.map((c) => el('td', {}, [String(g.stats[c])]))]))),
  ]);
  const members = el('p', { class: 'help' }, [r.members.map((m) => `${m.name}: ${m.stats.actions} orders`).join(' · ')]);
  const card = el('div', { class: 'card' }, [
    el('h2', {}, [r.session.victory ? 'Mission accomplished' : 'Mission over']),
    el('p', {}, [`${minutes} · ${r.session.enemiesDestroyed} enemies destroyed · ${r.session.basesLost} bases lost`]),
    table,
    members,
    el('div', { class: 'row' }, [lobby, button('leave', leave)]),
    error,
  ]);
  return { root: el('div', { class: 'columns' }, [card, chat.root]), dispose: chat.dispose };
}
