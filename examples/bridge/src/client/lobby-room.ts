/**
 * A session's lobby: the mission's options (the host sets them), the seats as a table of ships by
 * consoles (take a free one; the first member of a ship may rename it), ready, and start for the
 * host once every crewed ship has someone ready. While a round runs, the same table lets a late
 * joiner take a free seat (hot join) and a crew member switch consoles on their own ship.
 */
import type { ClientSession } from '@tickwire/client';
import { MAX_DIFFICULTY, MAX_SHIPS, SCENARIOS, type Scenario } from '../shared/constants.js';
import type { Bridge } from '../shared/protocol.js';
import { chatBox } from './chat.js';
import { button, el } from './dom.js';
import type { View } from './lobby-list.js';

/** Runs a session request, showing a refusal in `error` (and clearing it on success). */
function attempt(error: HTMLElement, request: () => Promise<void>): void {
  request().then(
    () => (error.textContent = ''),
    (err: Error) => (error.textContent = err.message),
  );
}

/** The seats table: ships by consoles; in a running round only free seats of one's own ship can be taken. */
export function seatsTable(session: ClientSession<Bridge>, error: HTMLElement): HTMLElement {
  const me = session.me;
  const running = session.state === 'running';
  const head = el('tr', {}, [el('th', {}, ['ship']), ...session.roles.map((r) => el('th', {}, [r]))]);
  const rows = session.groups.map((name, group) => {
    const cells = session.roles.map((role) => {
      const who = session.occupant(group, role);
      const mine = who !== undefined && who.id === me?.id;
      // Groups are locked while a round runs: a seated member may move within its own ship only.
      const allowed = !running || !me?.seat || me.seat.group === group;
      const take = button('take', () => attempt(error, () => session.claim(group, role)), { 'data-seat': `${group}:${role}` });
      take.disabled = !allowed;
      const label = who ? el('span', { class: who.ready ? 'ready' : '' }, [`${who.name}${who.connected ? '' : ' (away)'}`]) : take;
      return el('td', { class: mine ? 'mine' : '' }, [label]);
    });
    const rename = button('rename', () => {
      const to = prompt(`new name for ${name}`, name)?.trim();
      if (to) attempt(error, () => session.rename(group, to));
    });
    // The server lets the ship's first crew member rename it, and tells anyone else why not.
    const renameHere = me?.seat?.group === group;
    return el('tr', {}, [el('td', {}, [name, renameHere ? ' ' : '', renameHere ? rename : '']), ...cells]);
  });
  return el('table', { class: 'seats' }, [el('thead', {}, [head]), el('tbody', {}, rows)]);
}

function optionsCard(session: ClientSession<Bridge>, error: HTMLElement): HTMLElement {
  const o = session.options;
  if (!o) return el('div');
  if (!session.isHost) return el('p', {}, [`mission: ${o.scenario}, difficulty ${o.difficulty}, ${o.ships} ship${o.ships === 1 ? '' : 's'}`]);
  const scenario = el('select', { id: 'option-scenario' }, SCENARIOS.map((s) => el('option', { value: s }, [s])));
  scenario.value = o.scenario;
  const difficulty = el('input', { id: 'option-difficulty', type: 'number', min: '1', max: String(MAX_DIFFICULTY), value: String(o.difficulty) });
  const ships = el('input', { id: 'option-ships', type: 'number', min: '1', max: String(MAX_SHIPS), value: String(o.ships) });
  const apply = () => {
    const picked = SCENARIOS.find((s): s is Scenario => s === scenario.value) ?? o.scenario;
    attempt(error, () => session.setOptions({ scenario: picked, difficulty: Number(difficulty.value), ships: Number(ships.value) }));
  };
  for (const input of [scenario, difficulty, ships]) input.addEventListener('change', apply);
  return el('div', { class: 'row' }, [el('label', {}, ['mission ', scenario]), el('label', {}, ['difficulty ', difficulty]), el('label', {}, ['ships ', ships])]);
}

export function lobbyView(session: ClientSession<Bridge>): View {
  const error = el('p', { class: 'error', id: 'lobby-error' });
  const body = el('div');
  const chat = chatBox(session);
  const draw = () => {
    const me = session.me;
    const ready = button(me?.ready ? 'not ready' : 'ready', () => attempt(error, () => session.setReady(!me?.ready)), { id: 'ready' });
    ready.disabled = !me?.seat;
    const start = button('start', () => attempt(error, () => session.start()), { id: 'start', class: 'primary' });
    const leaveSeat = button('leave seat', () => attempt(error, () => session.release()));
    const roster = [...session.members.values()].map((m) => `${m.name}${m.id === session.hostId ? ' (host)' : ''}${m.seat ? '' : ' (no seat)'}${m.connected ? '' : ' (away)'}`);
    body.replaceChildren(
      el('h2', {}, [`${session.name} · lobby`]),
      optionsCard(session, error),
      seatsTable(session, error),
      el('p', { class: 'help', id: 'roster' }, [`in the session: ${roster.join(', ')}`]),
      el('div', { class: 'row' }, [ready, me?.seat ? leaveSeat : '', session.isHost ? start : el('span', { class: 'help' }, [`the host (${session.host?.name ?? 'nobody'}) starts`])]),
      error,
      el('p', { class: 'help' }, ['Take a seat, mark yourself ready; the host starts once every crewed ship has someone ready.']),
    );
  };
  draw();
  // Redrawn on any change, except while the host is typing in the options.
  const off = session.on('change', () => {
    if (!(document.activeElement instanceof HTMLInputElement && document.activeElement.id.startsWith('option-'))) draw();
  });
  return {
    root: el('div', { class: 'columns' }, [el('div', { class: 'card' }, [body]), chat.root]),
    dispose() {
      off();
      chat.dispose();
    },
  };
}
