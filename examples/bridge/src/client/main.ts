/**
 * The bridge in the browser: the sessions list, a session's lobby, a console while a round runs,
 * the results after it. `?session=<id>` is the session this tab is in, so a reload goes straight
 * back to it: the tab is the same player (player.ts), and the server hands its membership and
 * seat to the new connection. A dropped connection is ridden out by the SDK's reconnect, with
 * the header saying how it is going.
 */
import { createClient, serverAt, type ClientRoom, type ClientSession } from '@tickwire/client';
import { ErrorCode, TickwireError } from '@tickwire/protocol';
import type { Console } from '../shared/constants.js';
import { bridge, type Bridge } from '../shared/protocol.js';
import { bridgeView } from './bridge-view.js';
import { Deck } from './deck.js';
import { button, el } from './dom.js';
import { listView, type View } from './lobby-list.js';
import { lobbyView, seatsTable } from './lobby-room.js';
import { tabPlayer } from './player.js';
import { resultsView } from './results.js';

/** What the page shows, for people (the header) and for the browser test (window.bridge). */
interface PageHook {
  view: 'list' | 'lobby' | 'bridge' | 'seats' | 'results' | 'closed';
  room?: ClientRoom<Bridge>;
  session?: ClientSession<Bridge>;
  /** The seat this page plays, while a round runs. */
  seat?: { ship: number; console: Console };
}

declare global {
  interface Window {
    bridge?: PageHook;
  }
}

const app = document.querySelector<HTMLElement>('#app')!;
const where = document.querySelector<HTMLElement>('#where')!;
const connection = document.querySelector<HTMLElement>('#connection')!;
const actions = document.querySelector<HTMLElement>('#actions')!;
const hook: PageHook = { view: 'list' };
window.bridge = hook;
let current: View | undefined;

function show(view: View, name: PageHook['view'], title: string): void {
  current?.dispose();
  current = view;
  hook.view = name;
  where.textContent = title;
  app.replaceChildren(view.root);
}

function status(textOf: string, tone: 'ok' | 'busy' | 'bad'): void {
  connection.textContent = textOf;
  connection.dataset.tone = tone;
}

/** A session's page: the view its state calls for, redrawn when the state or this member's seat changes. */
function play(session: ClientSession<Bridge>, backToList: (problem?: string) => void): void {
  const room = session.room;
  hook.room = room;
  hook.session = session;
  history.replaceState(null, '', `?session=${encodeURIComponent(room.code)}`);
  let deck: Deck | undefined;
  const leave = () => {
    room.leave();
    backToList();
  };
  actions.replaceChildren(button('leave session', leave));
  const render = () => {
    const seat = session.me?.seat ?? null;
    hook.seat = seat ? { ship: seat.group, console: seat.role } : undefined;
    const title = `${session.name} · ${session.state}`;
    if (session.state === 'running' && seat) {
      // One deck (and its ship log) per ship: switching consoles keeps the log.
      if (!deck || deck.ship !== seat.group || deck.console !== seat.role) deck = new Deck(room, seat.group, seat.role, deck?.ship === seat.group ? deck.logView : undefined);
      show(bridgeView(room, session, seat.group, seat.role, deck), 'bridge', title);
    } else if (session.state === 'running') {
      const error = el('p', { class: 'error' });
      show({ root: el('div', { class: 'card' }, [el('h2', {}, ['The round is running: take a free seat']), seatsTable(session, error), error]), dispose() {} }, 'seats', title);
    } else if (session.state === 'lobby') show(lobbyView(session), 'lobby', title);
    else if (session.state === 'results') show(resultsView(session, leave), 'results', title);
    else show({ root: el('p', {}, ['This session has closed.']), dispose() {} }, 'closed', title);
  };
  render();
  session.on('state', render);
  session.on('seat', (member) => member.id === session.me?.id && render());
  session.on('change', () => hook.view === 'seats' && render());
  status('connected', 'ok');
  room.on('reconnecting', (info) => status(`reconnecting… attempt ${info.attempt}`, 'busy'));
  room.on('reconnected', () => status('connected', 'ok'));
  room.on('close', (info) => {
    status(`disconnected: ${info.error?.message ?? info.reason}`, 'bad');
    if (info.error?.code === ErrorCode.ROOM_CLOSED) show({ root: el('p', {}, ['This session has closed.']), dispose() {} }, 'closed', session.name);
  });
}

async function main(): Promise<void> {
  let player = await tabPlayer();
  // One server, or a cluster's gateway that sends each session's players to its process.
  const server = await serverAt(location.origin);
  const clientFor = () => createClient({ ...server, protocol: bridge, token: player.token, name: player.name });
  let client = clientFor();

  const backToList = (problem?: string) => {
    history.replaceState(null, '', location.pathname);
    actions.replaceChildren();
    status('', 'ok');
    show(listView(client, enter, problem), 'list', `${player.name} · sessions`);
  };
  const enter = (joining: Promise<ClientSession<Bridge>>) => {
    status('joining…', 'busy');
    joining.then(
      (session) => play(session, backToList),
      async (err: unknown) => {
        // An identity from before a server restart with another secret: get a new one, once.
        if (err instanceof TickwireError && err.code === ErrorCode.AUTH_FAILED) {
          player = await tabPlayer(true);
          client = clientFor();
        }
        backToList(err instanceof Error ? err.message : String(err));
      },
    );
  };

  const id = new URLSearchParams(location.search).get('session');
  if (id) enter(client.sessions.join(id));
  else backToList();
}

main().catch((err: Error) => {
  status(`could not start: ${err.message}`, 'bad');
});
