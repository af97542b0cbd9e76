import { createHmac } from 'node:crypto';
import { ErrorCode, ManualClock, TickwireError } from '@tickwire/protocol';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AnonymousIdentities } from './anonymous.js';
import { JoinTickets, type JoinTicket } from './join-tickets.js';
import { JwtVerifier } from './jwt-auth.js';

const secret = 'a deployment secret of 32 bytes!';
const ticket: JoinTicket = { userId: 'user-1', name: 'Ada', room: 'arena-7', type: 'arena', process: 'game-2' };

async function refusal(p: Promise<unknown>): Promise<TickwireError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof TickwireError)) throw new Error(`expected a TickwireError, got ${String(err)}`);
  expect(err.code).toBe(ErrorCode.AUTH_FAILED);
  return err;
}

describe('join tickets', () => {
  it('round-trips what the gateway granted, with and without a room type', async () => {
    const tickets = new JoinTickets(secret);
    expect(await tickets.verify(await tickets.issue(ticket), 'game-2')).toEqual(ticket);
    const { type: _type, ...join } = ticket;
    expect(await tickets.verify(await tickets.issue(join), 'game-2')).toEqual(join);
    expect(await tickets.verify(await tickets.issue({ ...join, name: '' }), 'game-2')).toEqual({ ...join, name: '' });
  });

  it('is valid only on the process it names', async () => {
    const tickets = new JoinTickets(secret);
    const err = await refusal(tickets.verify(await tickets.issue(ticket), 'game-3'));
    expect(err.message).toMatch(/another process/);
  });

  it('expires after its time to live (with a few seconds of clock skew allowed)', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const tickets = new JoinTickets(secret, clock);
    const token = await tickets.issue(ticket, 10_000);
    clock.advance(14_000);
    expect(await tickets.verify(token, 'game-2')).toEqual(ticket);
    clock.advance(2_000);
    expect((await refusal(tickets.verify(token, 'game-2'))).message).toMatch(/expired/);
  });

  it('refuses a ticket signed with another secret, tampered with, or not a ticket at all', async () => {
    const tickets = new JoinTickets(secret);
    const other = new JoinTickets('another secret, also 32 bytes!!!');
    await refusal(tickets.verify(await other.issue(ticket), 'game-2'));
    const token = await tickets.issue(ticket);
    const [h, p, s] = token.split('.');
    const forged = JSON.parse(Buffer.from(p!, 'base64url').toString());
    forged.room = 'someone-elses-room';
    await refusal(tickets.verify(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`, 'game-2'));
    for (const junk of ['', 'x', 'a.b.c', 'x'.repeat(5000)]) await refusal(tickets.verify(junk, 'game-2'));
    // alg: none, with the right claims.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    await refusal(tickets.verify(none, 'game-2'));
  });

  it('cannot pass as an identity token signed with the same secret, nor an identity as a ticket', async () => {
    const tickets = new JoinTickets(secret);
    const jwt = new JwtVerifier({ secret });
    await expect(jwt.verify(await tickets.issue(ticket))).rejects.toThrow();
    // An identity JWT with the raw secret and ticket-shaped claims is not a ticket.
    const now = Math.floor(Date.now() / 1000);
    const identity = await new SignJWT({ room: 'arena-7', prc: 'game-2', name: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setAudience('tickwire-join')
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(secret));
    await refusal(tickets.verify(identity, 'game-2'));
    await refusal(tickets.verify(new AnonymousIdentities(secret).issue().token, 'game-2'));
  });

  it('refuses a signed ticket whose claims are out of range', async () => {
    const tickets = new JoinTickets(secret);
    const key = createHmac('sha256', secret).update('tickwire join tickets v1').digest();
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setAudience('tickwire-join').setExpirationTime(now + 60).sign(key);
    await refusal(tickets.verify(await sign({ name: 'x', room: 'bad room code!', prc: 'game-2' }), 'game-2'));
    await refusal(tickets.verify(await sign({ name: 7, room: 'arena-7', prc: 'game-2' }), 'game-2'));
    await refusal(tickets.verify(await sign({ name: 'x', room: 'arena-7', prc: 'game-2', type: '' }), 'game-2'));
    await refusal(tickets.verify(await sign({ name: 'x', room: 'arena-7' }), 'game-2'));
    expect(await tickets.verify(await sign({ name: 'x', room: 'arena-7', prc: 'game-2' }), 'game-2')).toEqual({ userId: 'user-1', name: 'x', room: 'arena-7', process: 'game-2' });
  });

  it('will not issue a ticket out of range, nor run on a short secret', async () => {
    const tickets = new JoinTickets(secret);
    await expect(tickets.issue({ ...ticket, room: '' })).rejects.toThrow(RangeError);
    await expect(tickets.issue({ ...ticket, name: 'n'.repeat(33) })).rejects.toThrow(RangeError);
    await expect(tickets.issue({ ...ticket, userId: '' })).rejects.toThrow(RangeError);
    await expect(tickets.issue({ ...ticket, process: '' })).rejects.toThrow(RangeError);
    await expect(tickets.issue(ticket, 0)).rejects.toThrow(RangeError);
    expect(() => new JoinTickets('short')).toThrow(RangeError);
  });
});
