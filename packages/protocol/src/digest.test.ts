import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from './bits.js';
import { addDigest, fieldDigest, presenceDigest, readDigest, writeDigest } from './digest.js';

/** An entity's terms: presence and its fields (value, linear, rate, keyTick). */
const entity = (id: number, type: number, fields: [number | string | boolean, boolean, number, number][]) =>
  fields.reduce((sum, [v, linear, rate, keyTick], i) => addDigest(sum, fieldDigest(id, i, v, linear, rate, keyTick)), presenceDigest(id, type));

describe('view digest', () => {
  it('does not depend on the order of entities, and a term can be taken off again', () => {
    const a = entity(3, 0, [[120, true, 16, 40], ['ada', false, 0, 0]]);
    const b = entity(9, 1, [[7, false, 0, 0]]);
    expect(addDigest(addDigest(0, a), b)).toBe(addDigest(addDigest(0, b), a));
    expect(addDigest(addDigest(addDigest(0, a), b), -b)).toBe(a);
  });

  it('changes with any value, rate or key tick of a linear field, and ignores rate and tick of the others', () => {
    const base = fieldDigest(3, 0, 120, true, 16, 40);
    expect(fieldDigest(3, 0, 121, true, 16, 40)).not.toBe(base);
    expect(fieldDigest(3, 0, 120, true, 17, 40)).not.toBe(base);
    expect(fieldDigest(3, 0, 120, true, 16, 41)).not.toBe(base);
    expect(fieldDigest(4, 0, 120, true, 16, 40)).not.toBe(base);
    expect(fieldDigest(3, 1, 120, true, 16, 40)).not.toBe(base);
    expect(fieldDigest(3, 0, 120, false, 16, 40)).toBe(fieldDigest(3, 0, 120, false, 0, 99));
    // Kinds do not collide: the number 1, true, and '1' are three values.
    expect(new Set([fieldDigest(1, 0, 1, false), fieldDigest(1, 0, true, false), fieldDigest(1, 0, '1', false)]).size).toBe(3);
    expect(fieldDigest(1, 0, 2 ** 40 + 5, false)).not.toBe(fieldDigest(1, 0, 5, false));
    expect(fieldDigest(1, 0, 0.1, false)).not.toBe(fieldDigest(1, 0, 0.2, false));
    expect(fieldDigest(1, 0, new Uint8Array([1, 2]), false)).not.toBe(fieldDigest(1, 0, new Uint8Array([2, 1]), false));
  });

  it('is a 1 bit and 32 bits after the events; a snapshot without one reads as before', () => {
    for (const pad of [0, 3, 7]) {
      const w = new BitWriter();
      w.writeBits(0b101, pad);
      writeDigest(w, 0xdeadbeef);
      const r = new BitReader(w.toBytes());
      r.readBits(pad);
      expect(readDigest(r)).toBe(0xdeadbeef);
      r.expectEnd();
      const none = new BitWriter();
      none.writeBits(0b101, pad);
      const q = new BitReader(none.toBytes());
      q.readBits(pad);
      expect(readDigest(q)).toBeUndefined();
      q.expectEnd();
    }
  });
});
