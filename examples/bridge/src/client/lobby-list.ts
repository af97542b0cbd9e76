/**
 * The first page: the server's sessions (refreshed every two seconds) to join, with a password
 * when one is asked, and the form to create one: its name, the mission (scenario, difficulty
 * 1-11, ships 1-8) and an optional password. Everything goes through `client.sessions`.
 */
import type { ClientSession, SessionSummary, TickwireClient } from '@tickwire/client';
import { MAX_DIFFICULTY, MAX_SHIPS, SCENARIOS, type Scenario } from '../shared/constants.js';
import type { Bridge } from '../shared/protocol.js';
import { button, el } from './dom.js';

export interface View {
  readonly root: HTMLElement;
  dispose(): void;
}

const isScenario = (s: string): s is Scenario => SCENARIOS.some((x) => x === s);

function numberInput(id: string, min: number, max: number, value: number): HTMLInputElement {
  return el('input', { id, type: 'number', min: String(min), max: String(max), value: String(value) });
}

export function listView(client: TickwireClient<Bridge>, enter: (session: Promise<ClientSession<Bridge>>) => void, problem?: string): View {
  const error = el('p', { class: 'error', id: 'list-error' }, [problem ?? '']);
  const rows = el('tbody');
  const password = el('input', { id: 'join-password', type: 'password', placeholder: 'password, if it has one' });
  const draw = (sessions: SessionSummary[]) => {
    rows.replaceChildren(
      ...sessions.map((s) => {
        const join = button('join', () => enter(client.sessions.join(s.id, s.password ? { password: password.value } : {})), { 'data-session': s.id });
        join.disabled = s.state === 'closed';
        return el('tr', {}, [el('td', {}, [s.name]), el('td', {}, [s.state]), el('td', {}, [String(s.players)]), el('td', {}, [`${s.seatsFree} of ${s.seats}`]), el('td', {}, [s.password ? 'yes' : 'no']), el('td', {}, [join])]);
      }),
    );
    if (sessions.length === 0) rows.append(el('tr', {}, [el('td', { colspan: '6', class: 'help' }, ['No sessions yet: create one.'])]));
  };
  const refresh = () =>
    client.sessions.list().then(
      (sessions) => draw(sessions.filter((s) => s.type === 'bridge' && s.state !== 'closed')),
      (err: Error) => (error.textContent = `could not list the sessions: ${err.message}`),
    );
  void refresh();
  const timer = setInterval(refresh, 2000);

  const name = el('input', { id: 'create-name', maxlength: '40', placeholder: 'session name' });
  const scenario = el('select', { id: 'create-scenario' }, SCENARIOS.map((s) => el('option', { value: s }, [s])));
  const difficulty = numberInput('create-difficulty', 1, MAX_DIFFICULTY, 3);
  const ships = numberInput('create-ships', 1, MAX_SHIPS, 2);
  const secret = el('input', { id: 'create-password', type: 'password', placeholder: 'password (optional)' });
  const create = button(
    'create',
    () => {
      const picked = scenario.value;
      enter(
        client.sessions.create('bridge', {
          name: name.value.trim() || undefined,
          options: { scenario: isScenario(picked) ? picked : 'patrol', difficulty: Number(difficulty.value), ships: Number(ships.value) },
          password: secret.value || undefined,
        }),
      );
    },
    { class: 'primary', id: 'create' },
  );
  const root = el('div', { class: 'columns' }, [
    el('div', { class: 'card' }, [
      el('h2', {}, ['Sessions']),
      el('table', {}, [el('thead', {}, [el('tr', {}, ['name', 'state', 'players', 'seats free', 'password', ''].map((h) => el('th', {}, [h])))]), rows]),
      el('div', { class: 'row' }, [password]),
      error,
    ]),
    el('div', { class: 'card' }, [
      el('h2', {}, ['New session']),
      el('div', { class: 'row' }, [name]),
      el('div', { class: 'row' }, [el('label', {}, ['mission ', scenario]), el('label', {}, ['difficulty ', difficulty]), el('label', {}, ['ships ', ships])]),
      el('div', { class: 'row' }, [secret]),
      create,
      el('p', { class: 'help' }, ['patrol: three waves to beat · siege: hold for ten minutes · training: a few enemies near base DS1']),
    ]),
  ]);
  return { root, dispose: () => clearInterval(timer) };
}
