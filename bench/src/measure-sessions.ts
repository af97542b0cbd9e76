/**
 * What sessions cost: the bytes of their messages for a full bridge (8 ships x 6 consoles, 48
 * members, a full chat history and results), the server time a lobby request takes, and what a
 * password check costs (scrypt, off the loop on the thread pool).
 *
 *   node --conditions=source --import tsx bench/src/measure-sessions.ts
 */
import { MessageCodec, defineProtocol, t, type SessionStateBody } from '@tickwire/protocol';
import { hashPassword, verifyPassword } from '@tickwire/server/internal';

const bridge = defineProtocol({
  name: 'bridge-measure',
  components: { hull: { hp: t.uint({ max: 100 }) } },
  entities: { ship: ['hull'] },
  session: {
    roles: ['helm', 'weapons', 'engineering', 'science', 'comms', 'captain'],
    maxGroups: 8,
    options: { scenario: t.enum(['patrol', 'siege', 'escort']), difficulty: t.int({ min: 1, max: 11 }), ships: t.int({ min: 1, max: 8 }) },
    results: {
      session: { victory: t.bool(), seconds: t.uint(16) },
      group: { damageDealt: t.uint(16), torpedoesFired: t.uint(8) },
      member: { actions: t.uint(16) },
    },
  },
});
const codec = new MessageCodec(bridge);
const ships = ['Artemis', 'Intrepid', 'Aegis', 'Horatio', 'Excalibur', 'Hera', 'Ceres', 'Diana'];

const state: SessionStateBody = {
  name: 'Friday night bridge crew',
  state: 'results',
  round: 3,
  host: 1,
  password: true,
  closesAt: 1_234_567.5,
  options: { scenario: 'siege', difficulty: 7, ships: 8 },
  groups: ships,
  members: Array.from({ length: 48 }, (_, i) => ({ id: i + 1, name: `officer-${i + 1}`, seat: { group: Math.floor(i / 6), role: i % 6 }, ready: false, connected: true })),
  chat: Array.from({ length: 50 }, (_, i) => ({ from: (i % 48) + 1, name: `officer-${(i % 48) + 1}`, group: i % 3 === 0 ? i % 8 : null, text: 'torpedoes loaded, ready on your mark' })),
  results: {
    session: { victory: true, seconds: 1800 },
    groups: ships.map((name, i) => ({ name, stats: { damageDealt: 1000 + i, torpedoesFired: 12 } })),
    members: Array.from({ length: 48 }, (_, i) => ({ id: i + 1, name: `officer-${i + 1}`, stats: { actions: 300 + i } })),
  },
};

const sizes = {
  'SESSION_STATE, 48 members, 50 chat lines, results': codec.sessionState(state).length,
  'SESSION_STATE, 48 members, lobby, no chat': codec.sessionState({ ...state, state: 'lobby', chat: [], results: null }).length,
  'SESSION_EVENT seat': codec.sessionEvent({ event: 'seat', id: 17, seat: { group: 2, role: 4 } }).length,
  'SESSION_EVENT joined': codec.sessionEvent({ event: 'joined', member: state.members[16]! }).length,
  'SESSION_EVENT chat': codec.sessionEvent({ event: 'chat', line: state.chat[0]! }).length,
  'SESSION_EVENT state with results': codec.sessionEvent({ event: 'state', state: 'results', round: 3, closesAt: 1, results: state.results }).length,
  'SESSION claim': codec.session(9, { action: 'claim', group: 7, role: 5 }).length,
};

// Encoding the whole state for one joining member: what a join costs the server beyond the room's.
const runs = 2000;
let t0 = performance.now();
for (let i = 0; i < runs; i++) codec.sessionState(state);
const stateUs = ((performance.now() - t0) / runs) * 1000;

const hashStarted = performance.now();
const stored = await hashPassword('correct horse battery staple');
const hashMs = performance.now() - hashStarted;
t0 = performance.now();
const checks = 10;
for (let i = 0; i < checks; i++) await verifyPassword(i % 2 ? 'wrong' : 'correct horse battery staple', stored);
const verifyMs = (performance.now() - t0) / checks;

console.log(
  JSON.stringify(
    { bytes: sizes, encode_full_state_us: Number(stateUs.toFixed(1)), scrypt_hash_ms: Number(hashMs.toFixed(1)), scrypt_verify_ms: Number(verifyMs.toFixed(1)) },
    null,
    2,
  ),
);
