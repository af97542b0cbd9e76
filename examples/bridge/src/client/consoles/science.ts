/**
 * Science: the long-range sensors. Everything out to 50,000 units, including far contacts that
 * are only a position (the far tier sends nothing else): select one and scan it to learn what it
 * is, its hull and shields, whatever the range. Scan results arrive as events to this crew.
 */
import { FAR, MID, NEAR } from '../../shared/constants.js';
import type { Deck, Screen } from '../deck.js';
import { button, el, meter, text } from '../dom.js';
import { contactOf } from '../sector-map.js';
import { mapScreen } from './map-screen.js';

interface ScanReport {
  name: string;
  side: string;
  cls: string;
  hull: number;
  fore: number;
  aft: number;
}

export function scienceScreen(deck: Deck): Screen {
  let selected = 0;
  const reports = new Map<number, ScanReport>();
  const info = el('div', { class: 'readout', id: 'selected' });
  const progress = meter('scan', 100);
  const report = el('pre', { class: 'report' });
  const scan = button('scan', () => selected !== 0 && void deck.command('science', 'scan', { id: selected }));
  const off = deck.room.on('event', (ev) => {
    if (ev.name !== 'scanned') return;
    const { id, ...r } = ev.payload;
    reports.set(id, r);
    deck.log(`scan of ${r.name}: ${r.side} ${r.cls}, hull ${r.hull} %, shields ${r.fore}/${r.aft}`);
  });
  return mapScreen(deck, {
    title: 'Science',
    range: FAR,
    rings: [NEAR, MID, FAR],
    controls: [info, scan, progress.root, report, el('p', { class: 'help' }, ['Click a contact, then scan it. Far contacts show as "?" until they come closer or are scanned.'])],
    onClick: (_world, contact) => contact && (selected = contact.id),
    options: () => ({ target: selected }),
    update() {
      const scanState = deck.crew('bridge')?.state.scan;
      progress.set(scanState?.target ? scanState.progress : 0);
      const e = selected ? deck.room.entities.get(selected) : undefined;
      const c = e && contactOf(e);
      const r = reports.get(selected);
      text(info, c ? `selected: ${r?.name ?? (c.name === '?' ? `unknown contact ${c.id}` : c.name)}` : 'select a contact');
      text(report, r ? `${r.name}\n${r.side} ${r.cls}\nhull ${r.hull} %\nshields fore ${r.fore} %, aft ${r.aft} %` : '');
    },
    dispose: off,
  });
}
