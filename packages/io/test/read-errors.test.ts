/**
 * The reader on bad input: unknown and newer fourccs, out-of-scope types,
 * huge size claims, bad bools, truncation, trailing bytes, nesting depth.
 * Every failure is a MetalFaissError whose message names the field, the
 * fourcc path and the byte offset.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_NESTING_DEPTH,
  MetalFaissError,
  fourccToU32,
  readIndex,
  readIndexBinary,
  writeIndex,
  writeIndexBinary,
  type IndexRecord,
} from '../src/index';
import { binaryFlat, flat, ivfFlat, rng, transformChain, header as mkHeader } from './helpers/synthetic';

function failure(fn: () => unknown): MetalFaissError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MetalFaissError);
    return err as MetalFaissError;
  }
  throw new Error('expected a failure');
}

function put(bytes: Uint8Array, at: number, f: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  f(new DataView(copy.buffer, copy.byteOffset + at));
  return copy;
}

const r = rng(7);
const flatBytes = writeIndex(flat(r, 4, 3));

describe('unknown and newer fourccs', () => {
  it('an unknown top-level fourcc is IO_FORMAT naming it and offset 0', () => {
    const bad = put(flatBytes, 0, (v) => v.setUint32(0, fourccToU32('QQQQ'), true));
    const err = failure(() => readIndex(bad));
    expect(err.code).toBe('IO_FORMAT');
    expect(err.message).toMatch(/"QQQQ"/);
    expect(err.message).toMatch(/byte offset 0\b/);
  });

  it('unprintable fourccs are shown in hex', () => {
    const bad = put(flatBytes, 0, (v) => v.setUint32(0, 0x01020304, true));
    expect(failure(() => readIndex(bad)).message).toMatch(/0x01020304/);
  });

  for (const code of ['null', 'IxFP', 'IHNc', 'Iwrq', 'IxEd', 'ISVD', 'IwIQ', 'IH00']) {
    it(`newer FAISS fourcc "${code}" is IO_FORMAT`, () => {
      const bad = put(flatBytes, 0, (v) => v.setUint32(0, fourccToU32(code), true));
      const err = failure(() => readIndex(bad));
      expect(err.code).toBe('IO_FORMAT');
      expect(err.message).toContain(`"${code}"`);
    });
  }

  it('a nested unknown fourcc names the parent path and its own offset', () => {
    const ivf = writeIndex(ivfFlat(r, 4, 10, 3));
    // IwFl | header 33 | nlist 8 | nprobe 8 | quantizer fourcc at 4 + 33 + 16
    const at = 4 + 33 + 16;
    const bad = put(ivf, at, (v) => v.setUint32(0, fourccToU32('IxZZ'), true));
    const err = failure(() => readIndex(bad));
    expect(err.code).toBe('IO_FORMAT');
    expect(err.message).toContain('IwFl > index fourcc');
    expect(err.message).toContain(`byte offset ${at} `);
  });

  it('HadamardRotation (HRot, newer FAISS) inside a pre-transform is IO_FORMAT', () => {
    const rec: IndexRecord = { fourcc: 'IxPT', header: mkHeader(4, 3), chain: [{ fourcc: 'VNrm', norm: 2, dIn: 4, dOut: 4, isTrained: true }], index: flat(r, 4, 3) };
    const bytes = writeIndex(rec);
    const at = 4 + 33 + 4;
    const bad = put(bytes, at, (v) => v.setUint32(0, fourccToU32('HRot'), true));
    const err = failure(() => readIndex(bad));
    expect(err.code).toBe('IO_FORMAT');
    expect(err.message).toMatch(/HRot/);
    expect(err.message).toContain(`byte offset ${at} `);
  });

  it('valid FAISS types outside the scope are UNSUPPORTED, naming the type', () => {
    for (const code of ['IxRq', 'IwQR', 'Ix2L', 'IPfs', 'IHN2', 'INSf']) {
      const bad = put(flatBytes, 0, (v) => v.setUint32(0, fourccToU32(code), true));
      const err = failure(() => readIndex(bad));
      expect(err.code).toBe('UNSUPPORTED');
      expect(err.message).toContain(code);
    }
    const bin = writeIndexBinary(binaryFlat(r, 16, 2));
    const err = failure(() => readIndexBinary(put(bin, 0, (v) => v.setUint32(0, fourccToU32('IBHh'), true))));
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toContain('IndexBinaryHash');
  });

  it('inverted lists: "ilod" (1.7.3, on-disk) is UNSUPPORTED, "ilpn" (newer FAISS) is IO_FORMAT', () => {
    const ivf = writeIndex(ivfFlat(r, 4, 10, 3));
    const at = Buffer.from(ivf).indexOf(Buffer.from('ilar', 'latin1'));
    const ilod = failure(() => readIndex(put(ivf, at, (v) => v.setUint32(0, fourccToU32('ilod'), true))));
    expect(ilod.code).toBe('UNSUPPORTED');
    expect(ilod.message).toContain('OnDiskInvertedLists');
    const ilpn = failure(() => readIndex(put(ivf, at, (v) => v.setUint32(0, fourccToU32('ilpn'), true))));
    expect(ilpn.code).toBe('IO_FORMAT');
    expect(ilpn.message).toContain(`byte offset ${at} `);
  });

  it('float and binary readers point at each other', () => {
    const bin = writeIndexBinary(binaryFlat(r, 16, 2));
    expect(failure(() => readIndex(bin)).message).toMatch(/readIndexBinary/);
    expect(failure(() => readIndexBinary(flatBytes)).message).toMatch(/use readIndex/);
  });
});

describe('sizes are checked before anything is allocated', () => {
  it('a flat header claiming 2^40 floats fails fast and allocates nothing large', () => {
    // ntotal = 2^35, d = 32 -> 2^40 floats, consistent header and count
    let bad = put(flatBytes, 4, (v) => {
      v.setInt32(0, 32, true);
      v.setBigInt64(4, 2n ** 35n, true);
    });
    bad = put(bad, 37, (v) => v.setBigUint64(0, 2n ** 40n, true));
    const before = process.memoryUsage().arrayBuffers;
    const err = failure(() => readIndex(bad));
    const after = process.memoryUsage().arrayBuffers;
    expect(err.code).toBe('IO_FORMAT');
    expect(err.message).toMatch(/IxF2 > xb/);
    expect(err.message).toMatch(/1099511627776 elements/);
    expect(err.message).toContain('byte offset 37 ');
    expect(after - before).toBeLessThan(1 << 20);
  });

  it('vector counts above 2^53 are reported exactly', () => {
    const bad = put(flatBytes, 37, (v) => v.setBigUint64(0, 0xffffffffffffffffn, true));
    expect(failure(() => readIndex(bad)).message).toContain('18446744073709551615');
  });

  it('a count that does not match ntotal * d is IO_FORMAT', () => {
    const bad = put(flatBytes, 37, (v) => v.setBigUint64(0, 11n, true));
    const err = failure(() => readIndex(bad));
    expect(err.message).toMatch(/a vector of 12 elements for IxF2 > xb, received a count of 11/);
  });

  it('inverted list sizes beyond the data fail at the first list that does not fit', () => {
    const rec = ivfFlat(r, 4, 40, 4);
    const bytes = writeIndex(rec);
    // sizes vector of the "full" list type: find it after "full"
    const at = Buffer.from(bytes).indexOf(Buffer.from('full', 'latin1')) + 4 + 8;
    const bad = put(bytes, at + 8 * 2, (v) => v.setBigUint64(0, 10n ** 12n, true));
    const err = failure(() => readIndex(bad));
    expect(err.code).toBe('IO_FORMAT');
    expect(err.message).toMatch(/IwFl > ilar > list 2 codes/);
  });

  it('truncated ids name the list', () => {
    const rec = ivfFlat(r, 4, 40, 4);
    const bytes = writeIndex(rec);
    const err = failure(() => readIndex(bytes.subarray(0, bytes.length - 3)));
    expect(err.message).toMatch(/IwFl > ilar > list 3 ids/);
  });

  it('d above 2^20 and negative ntotal are rejected', () => {
    expect(failure(() => readIndex(put(flatBytes, 4, (v) => v.setInt32(0, 2 ** 20 + 1, true)))).message).toMatch(/header\.d/);
    expect(failure(() => readIndex(put(flatBytes, 8, (v) => v.setBigInt64(0, -1n, true)))).message).toMatch(/header\.ntotal.*received -1/);
  });
});

describe('field validation', () => {
  it('bool bytes must be 0 or 1', () => {
    const bad = put(flatBytes, 4 + 28, (v) => v.setUint8(0, 2));
    const err = failure(() => readIndex(bad));
    expect(err.code).toBe('IO_FORMAT');
    expect(err.message).toMatch(/a bool byte 0 or 1 for IxF2 > header\.isTrained, received 2 at byte offset 32 /);
  });

  it('unknown metric types (including newer FAISS 23..25) are rejected', () => {
    for (const m of [5, 23, 25, -1]) {
      expect(failure(() => readIndex(put(flatBytes, 33, (v) => v.setInt32(0, m, true)))).message).toMatch(/MetricType/);
    }
  });

  it('IDMap id_map length must equal ntotal', () => {
    const rec: IndexRecord = { fourcc: 'IxMp', header: mkHeader(4, 3), index: flat(r, 4, 3), idMap: BigInt64Array.from([1n, 2n, 3n]) };
    const bytes = writeIndex(rec);
    const bad = put(bytes, bytes.length - 8 * 3 - 8, (v) => v.setBigUint64(0, 2n, true));
    expect(failure(() => readIndex(bad)).message).toMatch(/IxMp > idMap/);
  });

  it('PQ nbits outside [1, 24] is rejected', () => {
    const rec: IndexRecord = {
      fourcc: 'IxPq',
      header: mkHeader(4, 1),
      pq: { d: 4, M: 2, nbits: 2, centroids: new Float32Array(16) },
      codes: new Uint8Array(1),
      searchType: 0,
      encodeSigns: false,
      polysemousHt: 0,
    };
    const bytes = writeIndex(rec);
    const bad = put(bytes, 4 + 33 + 16, (v) => v.setBigUint64(0, 25n, true));
    expect(failure(() => readIndex(bad)).message).toMatch(/IxPq > pq\.nbits/);
  });

  it('trailing bytes are rejected unless allowed', () => {
    const longer = new Uint8Array(flatBytes.length + 5);
    longer.set(flatBytes);
    expect(failure(() => readIndex(longer)).message).toMatch(/end of data.*5 more bytes/);
    expect(readIndex(longer, { allowTrailingBytes: true })).toEqual(readIndex(flatBytes));
  });

  it('empty and truncated data', () => {
    expect(failure(() => readIndex(new Uint8Array(0))).code).toBe('IO_FORMAT');
    const err = failure(() => readIndex(flatBytes.subarray(0, 10)));
    expect(err.message).toMatch(/IxF2 > header\.ntotal, received end of data/);
  });

  it('bad sources are INVALID_ARGUMENT', () => {
    expect(failure(() => readIndex(42 as unknown as string)).code).toBe('INVALID_ARGUMENT');
    expect(failure(() => readIndex('/nonexistent/dir/x.index')).code).toBe('INVALID_ARGUMENT');
  });
});

describe('nesting depth', () => {
  function nested(depth: number): Uint8Array {
    // depth IxMp wrappers around one flat index, assembled byte by byte
    const inner = writeIndex(flat(r, 2, 1));
    const hdr = writeIndex({ fourcc: 'IxF2', header: mkHeader(2, 1), xb: new Float32Array(2) }).subarray(4, 37);
    const idTail = new Uint8Array(16);
    new DataView(idTail.buffer).setBigUint64(0, 1n, true);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < depth; i++) parts.push(Buffer.from('IxMp', 'latin1'), hdr);
    parts.push(inner);
    for (let i = 0; i < depth; i++) parts.push(idTail);
    return Buffer.concat(parts);
  }

  it(`${MAX_NESTING_DEPTH} nested records read, one more is IO_FORMAT`, () => {
    const ok = readIndex(nested(MAX_NESTING_DEPTH - 1));
    expect(ok.fourcc).toBe('IxMp');
    const err = failure(() => readIndex(nested(MAX_NESTING_DEPTH)));
    expect(err.code).toBe('IO_FORMAT');
    expect(err.message).toMatch(/nesting depth/);
  });

  it('transform chains report their position', () => {
    const { chain, dOut } = transformChain(r, 8);
    const rec: IndexRecord = { fourcc: 'IxPT', header: mkHeader(8, 2), chain, index: flat(r, dOut, 2) };
    const bytes = writeIndex(rec);
    expect(readIndex(bytes)).toEqual(rec);
    // corrupt the VNrm (chain[1]) d_out so it no longer equals d_in
    const vnrm = Buffer.from(bytes).indexOf(Buffer.from('VNrm', 'latin1'));
    const bad = put(bytes, vnrm + 4 + 4 + 4, (v) => v.setInt32(0, 7, true));
    const err = failure(() => readIndex(bad));
    expect(err.message).toMatch(/IxPT > chain\[1\] > VNrm > dOut/);
  });
});
