/** The few DOM helpers the pages are built with: an element with attributes and children, a button, a meter. */

type Child = Node | string;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = el('button', { type: 'button', ...attrs }, [label]);
  b.addEventListener('click', onClick);
  return b;
}

/** A labelled bar for a value out of `max`; `set` updates it (and its tone past `warnAt`). */
export function meter(label: string, max: number, warnAt = Infinity): { root: HTMLElement; set(value: number, text?: string): void } {
  const fill = el('span', { class: 'fill' });
  const value = el('span', { class: 'value' });
  const root = el('div', { class: 'meter' }, [el('span', { class: 'label' }, [label]), el('span', { class: 'bar' }, [fill]), value]);
  return {
    root,
    set(v, text) {
      fill.style.width = `${Math.max(0, Math.min(100, (100 * v) / max))}%`;
      fill.dataset.tone = v >= warnAt ? 'bad' : 'ok';
      value.textContent = text ?? String(Math.round(v));
    },
  };
}

/** Sets an element's text only when it changed (no layout work every frame otherwise). */
export function text(node: HTMLElement, value: string): void {
  if (node.textContent !== value) node.textContent = value;
}
