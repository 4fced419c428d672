/**
 * Round trips of records built from scratch (no FAISS needed): write -> read
 * gives the same record, and read -> write gives the same bytes.
 */
import { describe, expect, it } from 'vitest';
import {
  MetalFaissError,
  describeRecord,
  formatDescription,
  readIndex,
  readIndexBinary,
  writeIndex,
  writeIndexBinary,
  type AnyIndexRecord,
  type BinaryIndexRecord,
  type IndexRecord,
  type RecordOf,
} from '../src/index';
import { recordDiff } from './helpers/compare';
import { allSyntheticRecords } from './helpers/synthetic';

function write(rec: AnyIndexRecord, binary: boolean): Uint8Array {
  return binary ? writeIndexBinary(rec as BinaryIndexRecord) : writeIndex(rec as IndexRecord);
}

function read(bytes: Uint8Array, binary: boolean): AnyIndexRecord {
  return binary ? readIndexBinary(bytes) : readIndex(bytes);
}

describe('synthetic records round trip', () => {
  for (const { name, record, binary } of allSyntheticRecords()) {
    it(`${name}: write -> read gives the record, read -> write gives the bytes`, () => {
      const bytes = write(record, binary);
      const back = read(bytes, binary);
      expect(back).toEqual(record);
      expect(recordDiff(back, record)).toBeUndefined();
      expect(Buffer.from(write(back, binary)).equals(Buffer.from(bytes))).toBe(true);
      // a Buffer at an unaligned offset inside a larger allocation reads the same
      const padded = Buffer.alloc(bytes.length + 3);
      padded.set(bytes, 3);
      expect(read(padded.subarray(3), binary)).toEqual(record);
      const text = formatDescription(describeRecord(back));
      expect(text.split('\n')[0]).toContain(record.fourcc);
      expect(describeRecord(back).bytes).toBe(bytes.length);
    });
  }
});

describe('test helper recordDiff', () => {
  it('finds differences in typed arrays, types and scalars', () => {
    const a = { x: new Float32Array([1, 2]), y: { z: 3 } };
    expect(recordDiff(a, { x: new Float32Array([1, 2]), y: { z: 3 } })).toBeUndefined();
    expect(recordDiff(a, { x: new Float32Array([1, 3]), y: { z: 3 } })).toMatch(/record\.x/);
    expect(recordDiff(a, { x: new Int32Array([1, 2]), y: { z: 3 } })).toMatch(/Int32Array/);
    expect(recordDiff(a, { x: new Float32Array([1, 2]), y: { z: 4 } })).toMatch(/record\.y\.z/);
  });
});

describe('layout facts (FAISS-FORMAT.md worked examples)', () => {
  it('IxF2: 4 + 33 + 8 + 4 * ntotal * d bytes, dummies 2^20, count in floats', () => {
    const rec: IndexRecord = {
      fourcc: 'IxF2',
      header: { d: 32, ntotal: 2000, isTrained: true, metricType: 1, metricArg: 0 },
      xb: new Float32Array(64000).map((_, i) => i),
    };
    const bytes = writeIndex(rec);
    expect(bytes.length).toBe(256045);
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('IxF2');
    expect(v.getInt32(4, true)).toBe(32);
    expect(v.getBigInt64(8, true)).toBe(2000n);
    expect(v.getBigInt64(16, true)).toBe(1048576n);
    expect(v.getBigInt64(24, true)).toBe(1048576n);
    expect(bytes[32]).toBe(1);
    expect(v.getInt32(33, true)).toBe(1);
    expect(v.getBigUint64(37, true)).toBe(64000n);
    expect(v.getFloat32(45 + 4 * 7, true)).toBe(7);
  });

  it('metricArg is stored only for metric types > 1', () => {
    const mk = (metricType: number): IndexRecord => ({
      fourcc: metricType === 0 ? 'IxFI' : metricType === 1 ? 'IxF2' : 'IxFl',
      header: { d: 2, ntotal: 0, isTrained: true, metricType, metricArg: metricType > 1 ? 1.5 : 0 },
      xb: new Float32Array(0),
    });
    expect(writeIndex(mk(0)).length).toBe(4 + 33 + 8);
    expect(writeIndex(mk(1)).length).toBe(4 + 33 + 8);
    expect(writeIndex(mk(2)).length).toBe(4 + 37 + 8);
    expect((readIndex(writeIndex(mk(4))) as IndexRecord).header.metricArg).toBe(1.5);
  });

  it('inverted lists are written "full" iff more than half of the lists are non-empty', () => {
    for (const [nonEmpty, type] of [
      [3, 'full'],
      [2, 'sprs'],
    ] as const) {
      const lists = Array.from({ length: 4 }, (_, i) => ({
        codes: new Uint8Array(i < nonEmpty ? 8 : 0),
        ids: i < nonEmpty ? BigInt64Array.from([BigInt(i)]) : new BigInt64Array(0),
      }));
      const rec: IndexRecord = {
        fourcc: 'IwFl',
        header: { d: 2, ntotal: nonEmpty, isTrained: true, metricType: 1, metricArg: 0 },
        nlist: 4,
        nprobe: 1,
        quantizer: { fourcc: 'IxF2', header: { d: 2, ntotal: 4, isTrained: true, metricType: 1, metricArg: 0 }, xb: new Float32Array(8) },
        directMap: { type: 0, array: new BigInt64Array(0), hashtable: new BigInt64Array(0) },
        invlists: { fourcc: 'ilar', nlist: 4, codeSize: 8, lists },
      };
      const bytes = writeIndex(rec);
      expect(Buffer.from(bytes).includes(Buffer.from(type, 'latin1'))).toBe(true);
      expect(readIndex(bytes)).toEqual(rec);
    }
  });
});

describe('writer rejects inconsistent records with INVALID_ARGUMENT naming the field', () => {
  const base = (): RecordOf<'IxF2'> => ({
    fourcc: 'IxF2',
    header: { d: 4, ntotal: 2, isTrained: true, metricType: 1, metricArg: 0 },
    xb: new Float32Array(8),
  });

  const cases: Array<[string, () => unknown, RegExp]> = [
    ['short xb', () => ({ ...base(), xb: new Float32Array(7) }), /IxF2 > xb/],
    ['xb of the wrong type', () => ({ ...base(), xb: new Float64Array(8) }), /Float32Array/],
    ['metric that does not match the fourcc', () => ({ ...base(), header: { ...base().header, metricType: 0 } }), /metricType/],
    ['unknown metric', () => ({ ...base(), fourcc: 'IxFl', header: { ...base().header, metricType: 23 } }), /MetricType/],
    ['negative ntotal', () => ({ ...base(), header: { ...base().header, ntotal: -1 } }), /ntotal/],
    ['d too large', () => ({ ...base(), header: { ...base().header, d: 2 ** 21 } }), /header\.d/],
    ['unknown fourcc', () => ({ ...base(), fourcc: 'IxQQ' }), /record\.fourcc/],
    ['binary record given to writeIndex', () => ({ fourcc: 'IBxF' }), /binary record/],
    ['not an object', () => 42, /record\.fourcc/],
    [
      'idmap of the wrong length',
      () => ({ fourcc: 'IxMp', header: base().header, index: base(), idMap: new BigInt64Array(3) }),
      /IxMp > idMap/,
    ],
    [
      'pre-transform chain that does not match the index',
      () => ({
        fourcc: 'IxPT',
        header: base().header,
        chain: [{ fourcc: 'VNrm', norm: 2, dIn: 4, dOut: 4, isTrained: true }],
        index: { ...base(), header: { ...base().header, d: 3 }, xb: new Float32Array(6) },
      }),
      /IxPT > index/,
    ],
  ];
  for (const [name, make, pattern] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        writeIndex(make() as IndexRecord);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MetalFaissError);
      expect((err as MetalFaissError).code).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toMatch(pattern);
      expect((err as Error).message).toMatch(/^expected .* for .*, received /);
    });
  }

  it('a cyclic record is rejected, not a stack overflow', () => {
    const rec = { fourcc: 'IxMp', header: base().header, idMap: new BigInt64Array(2) } as Record<string, unknown>;
    rec.index = rec;
    expect(() => writeIndex(rec as unknown as IndexRecord)).toThrow(MetalFaissError);
  });

  it('does not modify the record', () => {
    const rec = base();
    rec.xb[0] = 5;
    const copy = structuredClone(rec);
    writeIndex(rec);
    expect(rec).toEqual(copy);
  });
});
