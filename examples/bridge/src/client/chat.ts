/**
 * The session's chat: the history a member joins with, then each line; to the whole session or,
 * with a seat, to one's own ship only (the server delivers group lines to that ship's crew).
 */
import type { ClientSession, SessionChatLine } from '@tickwire/client';
import type { Bridge } from '../shared/protocol.js';
import { el } from './dom.js';

export function chatBox(session: ClientSession<Bridge>): { root: HTMLElement; dispose(): void } {
  const lines = el('ul');
  const input = el('input', { maxlength: '200', placeholder: 'say something (Enter)', autocomplete: 'off', id: 'chat-input' });
  const toShip = el('input', { type: 'checkbox', id: 'chat-ship' });
  const form = el('form', {}, [input, el('label', {}, [toShip, ' to my ship only'])]);
  const add = (line: SessionChatLine) => {
    const group = line.group === null ? '' : `[${session.groups[line.group] ?? 'ship'}] `;
    lines.append(el('li', { class: line.group === null ? '' : 'group' }, [el('span', { class: 'from' }, [`${group}${line.name}: `]), line.text]));
    while (lines.children.length > 200) lines.firstElementChild!.remove();
    lines.scrollTop = lines.scrollHeight;
  };
  for (const line of session.chat) add(line);
  const off = session.on('chat', add);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    input.value = '';
    if (text) session.say(text, { group: toShip.checked }).catch((err: Error) => add({ from: 0, name: 'refused', group: null, text: err.message }));
  });
  return { root: el('div', { class: 'chat card' }, [el('h2', {}, ['Chat']), lines, form]), dispose: off };
}
