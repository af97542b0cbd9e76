/**
 * Who plays in this tab: an anonymous identity the server issued (POST /api/anonymous) and a
 * name, kept in sessionStorage. A reload is the same player, so the server gives the seat back
 * (one user is one member of a room: the new connection takes the membership over); another tab
 * is another player, which is what two crew members on one computer want.
 */
import { anonymousIdentity, type AnonymousIdentity } from '@tickwire/client';

const KEY = 'bridge-player';

export interface TabPlayer extends AnonymousIdentity {
  name: string;
}

function stored(): TabPlayer | undefined {
  try {
    const v: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    if (typeof v !== 'object' || v === null || !('userId' in v && 'token' in v && 'name' in v)) return undefined;
    const { userId, token, name } = v;
    return typeof userId === 'string' && typeof token === 'string' && typeof name === 'string' ? { userId, token, name } : undefined;
  } catch {
    // Unreadable (edited by hand): a new player.
    return undefined;
  }
}

/** This tab's player (`?name=` renames it), asking the server for an identity the first time or when `fresh`. */
export async function tabPlayer(fresh = false): Promise<TabPlayer> {
  const asked = new URLSearchParams(location.search).get('name')?.trim().slice(0, 24);
  const have = fresh ? undefined : stored();
  const player = have ?? { ...(await anonymousIdentity(location.origin)), name: `Ensign ${100 + Math.floor(Math.random() * 900)}` };
  if (asked) player.name = asked;
  sessionStorage.setItem(KEY, JSON.stringify(player));
  return player;
}
