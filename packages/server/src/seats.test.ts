import { ErrorCode } from '@tickwire/protocol';
import { describe, expect, it } from 'vitest';
import { SeatMap } from './seats.js';

const roles = ['helm', 'weapons', 'science'];

describe('seats', () => {
  it('first come, first served: the second claimant of a seat is refused with SEAT_TAKEN', () => {
    const seats = new SeatMap(roles, ['Artemis', 'Intrepid']);
    expect(seats.claim(1, 0, 0)).toEqual({ from: null });
    expect(seats.claim(2, 0, 0)).toMatchObject({ code: ErrorCode.SEAT_TAKEN });
    expect(seats.holder(0, 0)).toBe(1);
    expect(seats.seatOf(2)).toBeUndefined();
    expect([seats.total, seats.free]).toEqual([6, 5]);
  });

  it('a member holds one seat: claiming another moves it', () => {
    const seats = new SeatMap(roles, ['A', 'B']);
    seats.claim(1, 0, 0);
    expect(seats.claim(1, 1, 2)).toEqual({ from: { group: 0, role: 0 } });
    expect(seats.holder(0, 0)).toBeUndefined();
    expect(seats.seatOf(1)).toEqual({ group: 1, role: 2 });
    expect(seats.crew(0)).toEqual([]);
    // Claiming the seat one holds changes nothing.
    expect(seats.claim(1, 1, 2)).toEqual({ from: { group: 1, role: 2 } });
  });

  it('a seat that does not exist is NO_SUCH_SEAT', () => {
    const seats = new SeatMap(roles, ['A']);
    for (const [g, r] of [
      [1, 0],
      [0, 3],
      [-1, 0],
      [0.5, 0],
    ]) {
      expect(seats.claim(1, g!, r!)).toMatchObject({ code: ErrorCode.NO_SUCH_SEAT });
    }
  });

  it("a group's first member may rename it; when it leaves, the next one may", () => {
    const seats = new SeatMap(roles, ['A']);
    seats.claim(1, 0, 0);
    seats.claim(2, 0, 1);
    expect(seats.rename(2, 0, 'Nope')).toMatchObject({ code: ErrorCode.NOT_CAPTAIN });
    expect(seats.rename(1, 0, 'Artemis')).toBeUndefined();
    expect(seats.groupNames).toEqual(['Artemis']);
    seats.release(1);
    expect(seats.crew(0)).toEqual([2]);
    expect(seats.rename(2, 0, 'Nova')).toBeUndefined();
    expect(seats.rename(2, 5, 'x')).toMatchObject({ code: ErrorCode.NO_SUCH_SEAT });
  });

  it('while a round runs, roles may change within a group but not across groups', () => {
    const seats = new SeatMap(roles, ['A', 'B']);
    seats.claim(1, 0, 0);
    seats.lock();
    expect(seats.claim(1, 0, 1)).toEqual({ from: { group: 0, role: 0 } });
    expect(seats.claim(1, 1, 0)).toMatchObject({ code: ErrorCode.GROUP_LOCKED });
    // Giving the seat up does not free the member from its group for this round.
    seats.release(1);
    expect(seats.claim(1, 1, 0)).toMatchObject({ code: ErrorCode.GROUP_LOCKED });
    // A member joining mid-round picks its group with its first seat.
    expect(seats.claim(2, 1, 1)).toEqual({ from: null });
    expect(seats.claim(2, 0, 2)).toMatchObject({ code: ErrorCode.GROUP_LOCKED });
    seats.unlock();
    expect(seats.claim(2, 0, 2)).toEqual({ from: { group: 1, role: 1 } });
  });

  it('new groups free the seats of groups that are gone and keep names crews gave', () => {
    const seats = new SeatMap(roles, ['A', 'B', 'C']);
    seats.claim(1, 0, 0);
    seats.claim(2, 2, 1);
    seats.rename(1, 0, 'Ours');
    expect(seats.setGroups(['a', 'b'])).toEqual([{ member: 2, seat: { group: 2, role: 1 } }]);
    expect(seats.groupNames).toEqual(['Ours', 'b']);
    expect(seats.seatOf(1)).toEqual({ group: 0, role: 0 });
    expect(seats.holder(2, 1)).toBeUndefined();
  });
});
