/**
 * The shape of a console built around the sector map: the map on the left, centred on our ship
 * (or on what `options` says: the helm's prediction), a panel on the right with the console's
 * controls over the ship's log. Each console gives its title, range, controls and what to
 * refresh every frame.
 */
import type { Deck, Screen } from '../deck.js';
import { el } from '../dom.js';
import { SectorMap, type Contact, type MapOptions } from '../sector-map.js';

export interface MapScreenSpec {
  title: string;
  /** World units from the centre to the nearer edge of the map. */
  range: number;
  rings: readonly number[];
  controls: readonly (Node | string)[];
  onClick?: (world: { x: number; y: number }, contact: Contact | undefined) => void;
  /** Each frame: what to highlight and draw on the map. */
  options?: () => MapOptions;
  /** Each frame, after the map: refresh the controls. */
  update?: () => void;
  /** Also run on dispose (timers, listeners). */
  dispose?: () => void;
}

export function mapScreen(deck: Deck, spec: MapScreenSpec): Screen {
  const map = new SectorMap(deck, spec.onClick);
  map.range = spec.range;
  const panel = el('div', { class: 'panel' }, [el('h2', {}, [spec.title]), ...spec.controls, deck.logView]);
  const root = el('div', { class: 'screen', 'data-console': deck.console }, [map.canvas, panel]);
  return {
    root,
    frame() {
      const options: MapOptions = { rings: spec.rings, ...spec.options?.() };
      const centre = options.ownRender?.position ?? deck.own()?.render.position;
      if (centre) {
        map.cx = centre.x;
        map.cy = centre.y;
      }
      map.draw(options);
      spec.update?.();
    },
    dispose() {
      map.dispose();
      spec.dispose?.();
    },
  };
}
