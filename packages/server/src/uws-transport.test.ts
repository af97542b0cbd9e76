/**
 * The pure parts of the uWS transport: the address text the per-address limits count, close
 * reasons cut to what a close frame carries, and the idle timeout uWS gets for the runtime's.
 */
import { describe, expect, it } from 'vitest';
import { addressKey } from './address-book.js';
import { addressText, truncateUtf8, uwsIdleSeconds } from './uws-transport.js';

const bytes = (...b: number[]) => new Uint8Array(b).buffer;

describe('addressText', () => {
  it('writes IPv4 dotted, and an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(addressText(bytes(127, 0, 0, 1))).toBe('127.0.0.1');
    expect(addressText(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3))).toBe('10.1.2.3');
  });

  it('writes IPv6 in its short form, so one /64 is one key', () => {
    expect(addressText(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))).toBe('::1');
    const a = addressText(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b));
    expect(a).toBe('2001:db8::a0b');
    expect(addressKey(a)).toBe(addressKey('2001:db8::ffff:1'));
  });

  it('gives nothing for a length that is no address', () => {
    expect(addressText(bytes())).toBe('');
    expect(addressText(bytes(1, 2, 3))).toBe('');
  });
});

describe('truncateUtf8', () => {
  it('keeps a reason that fits, and cuts one that does not between characters', () => {
    expect(truncateUtf8('ROOM_CLOSED: match over', 123)).toBe('ROOM_CLOSED: match over');
    const cut = truncateUtf8('é'.repeat(100), 123);
    expect(new TextEncoder().encode(cut).length).toBe(122);
    expect(cut).toBe('é'.repeat(61));
  });
});

describe('uwsIdleSeconds', () => {
  it('is a few seconds past the runtime, within what uWS takes, or none', () => {
    expect(uwsIdleSeconds(30_000)).toBe(34);
    expect(uwsIdleSeconds(1_000)).toBe(8);
    expect(uwsIdleSeconds(0)).toBe(0);
    expect(uwsIdleSeconds(956_000)).toBe(960);
    expect(uwsIdleSeconds(957_000)).toBe(0);
  });
});
