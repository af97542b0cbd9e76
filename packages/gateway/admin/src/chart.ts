/**
 * A small line chart as inline SVG: a series of samples scaled to the box, with its latest
 * value written in the corner. No library: the admin page needs a shape over time, not axes.
 */
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 140;
const HEIGHT = 32;

/**
 * An SVG element drawing `values` (oldest first) from 0 to their maximum, labelled with the last
 * one formatted by `format`. An empty series draws an empty box.
 *
 * @example
 * cell.append(sparkline([1, 4, 2], (v) => `${v} clients`));
 */
export function sparkline(values: readonly number[], format: (v: number) => string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return svg;
  const max = Math.max(...finite, 1e-9);
  const step = finite.length > 1 ? WIDTH / (finite.length - 1) : 0;
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', finite.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - 2 - (v / max) * (HEIGHT - 12)).toFixed(1)}`).join(' '));
  const label = document.createElementNS(SVG, 'text');
  label.setAttribute('x', '2');
  label.setAttribute('y', '9');
  label.textContent = `${format(finite[finite.length - 1]!)} (max ${format(max)})`;
  svg.append(line, label);
  return svg;
}

/** Bytes per second as B/s, KB/s or MB/s. */
export function rate(bytesPerSec: number): string {
  if (bytesPerSec >= 1e6) return `${(bytesPerSec / 1e6).toFixed(1)} MB/s`;
  if (bytesPerSec >= 1e3) return `${(bytesPerSec / 1e3).toFixed(1)} KB/s`;
  return `${Math.round(bytesPerSec)} B/s`;
}
