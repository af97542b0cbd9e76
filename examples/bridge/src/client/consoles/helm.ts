/**
 * The helm: flies the ship. Impulse (W/S or the slider), rudder (A/D while held), warp (0-4),
 * or a click on the map to set a course the helm steers to by itself. The controls go out as
 * one input every tick, and the ship on this screen is the SDK's prediction of it, run with
 * the same step as the server (shared/helm.ts): it answers the keys at once, and a correction
 * from the server is blended out over 100 ms, or snapped when large (seed 004 §7.2).
 */
import { MAX_WARP, NEAR, RUDDER_STEPS } from '../../shared/constants.js';
import { helmStep, rudderTowards } from '../../shared/helm.js';
import type { Deck, Screen } from '../deck.js';
import { button, el, meter, text } from '../dom.js';
import { mapScreen } from './map-screen.js';

/** The helm's controls, changed by keys and buttons, sent every tick. */
interface Controls {
  impulse: number;
  warp: number;
  /** A course to steer to (radians), set by a click on the map; A/D cancels it. */
  course: number | undefined;
  held: Set<string>;
}

function keyboard(c: Controls, slider: HTMLInputElement): (ev: KeyboardEvent) => void {
  return (ev) => {
    if (ev.target instanceof HTMLInputElement && ev.target.type === 'text') return;
    const down = ev.type === 'keydown';
    const k = ev.code;
    if (down && k === 'KeyW') c.impulse = Math.min(100, c.impulse + 10);
    if (down && k === 'KeyS') c.impulse = Math.max(0, c.impulse - 10);
    if (down && /^Digit[0-4]$/.test(k)) c.warp = Number(k.slice(5));
    if (k === 'KeyA' || k === 'KeyD') {
      if (down) c.held.add(k);
      else c.held.delete(k);
      c.course = undefined;
    }
    slider.value = String(c.impulse);
  };
}

export function helmScreen(deck: Deck): Screen {
  const room = deck.room;
  const predictor = room.predict({ type: 'ship', step: helmStep });
  const c: Controls = { impulse: 0, warp: 0, course: undefined, held: new Set() };
  const slider = el('input', { type: 'range', min: '0', max: '100', step: '5', value: '0', id: 'impulse' });
  slider.addEventListener('input', () => (c.impulse = Number(slider.value)));
  const warpButtons = Array.from({ length: MAX_WARP + 1 }, (_, n) => button(n === 0 ? 'no warp' : `warp ${n}`, () => (c.warp = n), { 'data-warp': String(n) }));
  const speed = el('div', { class: 'readout', id: 'speed' });
  const heading = el('div', { class: 'readout' });
  const drive = meter('drive', 200, 101);
  const corrections = el('div', { class: 'readout small' });
  const onKey = keyboard(c, slider);
  window.addEventListener('keydown', onKey);
  window.addEventListener('keyup', onKey);

  // One input per tick: the server applies one per tick, and the predictor steps once per input.
  const timer = setInterval(() => {
    if (room.status !== 'connected') return;
    const own = predictor.state;
    let rudder = (c.held.has('KeyD') ? RUDDER_STEPS : 0) - (c.held.has('KeyA') ? RUDDER_STEPS : 0);
    if (rudder === 0 && c.course !== undefined && own) rudder = rudderTowards(own.heading.angle, c.course, room.tickMs / 1000);
    room.sendInput({ impulse: c.impulse, rudder, warp: c.warp });
  }, room.tickMs);

  return mapScreen(deck, {
    title: 'Helm',
    range: NEAR,
    rings: [2_500, 5_000, NEAR],
    controls: [
      el('label', {}, ['impulse ', slider]),
      el('div', { class: 'row' }, warpButtons),
      speed,
      heading,
      drive.root,
      corrections,
      el('p', { class: 'help' }, ['W/S impulse ±10 · A/D rudder while held · 0-4 warp · click the map to set a course']),
    ],
    onClick(world) {
      const p = predictor.state?.position;
      if (p) c.course = Math.atan2(world.y - p.y, world.x - p.x);
    },
    options: () => ({ ownRender: predictor.state ? predictor.render : undefined, course: c.course, target: deck.crew('bridge')?.state.orders.target }),
    update() {
      const own = predictor.state ? predictor.render : undefined;
      const ship = deck.own()?.state;
      text(speed, `speed ${Math.round(own?.motion.speed ?? 0)} u/s · impulse ${c.impulse} % · warp ${c.warp}`);
      text(heading, `heading ${Math.round((((own?.heading.angle ?? 0) * 180) / Math.PI + 90) % 360)}°${c.course !== undefined ? ' · on course' : ''}`);
      drive.set(ship?.drive.impulse ?? 0, `${ship?.drive.impulse ?? 0} % impulse, ${ship?.drive.warp ?? 0} % warp`);
      text(corrections, `corrections ${predictor.stats.corrections} (${predictor.stats.snaps} snapped), last ${predictor.stats.lastCorrection.toFixed(1)}`);
      for (const b of warpButtons) b.classList.toggle('on', Number(b.dataset.warp) === c.warp);
    },
    dispose() {
      clearInterval(timer);
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('keyup', onKey);
    },
  });
}
