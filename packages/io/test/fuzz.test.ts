/**
 * Bounded, deterministic fuzzing of the reader. Small valid files of every
 * type are mutated (truncation at every field boundary, random bit flips,
 * extreme values written over header fields) and read back. Every outcome
 * must be either a clean parse or a MetalFaissError with code IO_FORMAT
 * (UNSUPPORTED only when a flipped fourcc became a valid out-of-scope FAISS
 * type). No other exception, no hang, and no allocation beyond what the
 * input justifies. A successful parse must also be accepted by the writer
 * and read back to the same record (reader checks imply writer checks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBinaryIndexRecord, writeIndexRecord } from '../src/codec/dispatch';
import { setAllocationObserver } from '../src/cursor';
import { Encoder, concatChunks } from '../src/encoder';
import {
  MetalFaissError,
  OUT_OF_SCOPE_BINARY_FOURCCS,
  OUT_OF_SCOPE_FLOAT_FOURCCS,
  OUT_OF_SCOPE_INVLISTS_FOURCCS,
  readIndex,
  readIndexBinary,
  writeIndex,
  writeIndexBinary,
  type AnyIndexRecord,
  type BinaryIndexRecord,
  type IndexRecord,
} from '../src/index';
import { recordDiff } from './helpers/compare';
import { allSyntheticRecords, rng } from './helpers/synthetic';

interface Sample {
  name: string;
  binary: boolean;
  bytes: Uint8Array;
  /** Byte offsets after every field, in order. */
  boundaries: number[];
}

function encodeWithBoundaries(record: AnyIndexRecord, binary: boolean): Sample['bytes'] extends infer B ? { bytes: B; boundaries: number[] } : never {
  const e = new Encoder();
  e.boundaries = [];
  if (binary) writeBinaryIndexRecord(e, record as BinaryIndexRecord);
  else writeIndexRecord(e, record as IndexRecord);
  const bytes = concatChunks(e.finish());
  return { bytes, boundaries: [...new Set(e.boundaries)].filter((b) => b < bytes.length) } as never;
}

const samples: Sample[] = allSyntheticRecords(99).map(({ name, record, binary }) => ({ name, binary, ...encodeWithBoundaries(record, binary) }));

const OUT_OF_SCOPE = new Set([
  ...Object.keys(OUT_OF_SCOPE_FLOAT_FOURCCS),
  ...Object.keys(OUT_OF_SCOPE_BINARY_FOURCCS),
  ...Object.keys(OUT_OF_SCOPE_INVLISTS_FOURCCS),
]);

/** Largest total allocation one parse may make for an input of n bytes (data copies + nlist-sized tables, nlist <= 2^20). */
function allocationBound(n: number): number {
  return 2 * n + 3 * 8 * (1 << 20);
}

let allocated = 0;
beforeAll(() => setAllocationObserver((b) => (allocated += b)));
afterAll(() => setAllocationObserver(undefined));

const stats = { truncations: 0, mutations: 0, parsed: 0, ioFormat: 0, unsupported: 0 };

function check(sample: Sample, data: Uint8Array, what: string): void {
  stats.mutations++;
  allocated = 0;
  let rec: AnyIndexRecord | undefined;
  try {
    rec = sample.binary ? readIndexBinary(data) : readIndex(data);
  } catch (err) {
    if (!(err instanceof MetalFaissError)) {
      throw new Error(`${sample.name} ${what}: non-MetalFaissError ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    }
    if (err.code === 'UNSUPPORTED') {
      const named = [...OUT_OF_SCOPE].some((f) => err.message.includes(`"${f}"`));
      if (!named) throw new Error(`${sample.name} ${what}: UNSUPPORTED without an out-of-scope fourcc: ${err.message}`);
      stats.unsupported++;
    } else if (err.code !== 'IO_FORMAT') {
      throw new Error(`${sample.name} ${what}: unexpected code ${err.code}: ${err.message}`);
    } else {
      if (!/at byte offset \d+/.test(err.message)) throw new Error(`${sample.name} ${what}: IO_FORMAT without an offset: ${err.message}`);
      stats.ioFormat++;
    }
  }
  if (allocated > allocationBound(data.length)) {
    throw new Error(`${sample.name} ${what}: allocated ${allocated} bytes for ${data.length} bytes of input`);
  }
  if (rec) {
    stats.parsed++;
    let again: Uint8Array;
    try {
      again = sample.binary ? writeIndexBinary(rec as BinaryIndexRecord) : writeIndex(rec as IndexRecord);
    } catch (err) {
      throw new Error(`${sample.name} ${what}: parsed but the writer rejected it: ${(err as Error).message}`);
    }
    const back = sample.binary ? readIndexBinary(again) : readIndex(again);
    const diff = recordDiff(back, rec);
    if (diff) throw new Error(`${sample.name} ${what}: rewrite does not read back equal (${diff})`);
  }
}

describe('fuzz (deterministic, bounded)', () => {
  it('has samples of every type with field boundaries', () => {
    expect(samples.length).toBeGreaterThan(40);
    for (const s of samples) expect(s.boundaries.length).toBeGreaterThan(5);
  });

  it('truncation at every field boundary (and one byte into each field) is a clean IO_FORMAT', () => {
    let n = 0;
    for (const s of samples) {
      for (const b of s.boundaries) {
        for (const cut of [b, b + 1]) {
          if (cut >= s.bytes.length) continue;
          let caught: unknown;
          try {
            if (s.binary) readIndexBinary(s.bytes.subarray(0, cut));
            else readIndex(s.bytes.subarray(0, cut));
          } catch (err) {
            caught = err;
          }
          expect(caught, `${s.name} cut at ${cut}`).toBeInstanceOf(MetalFaissError);
          expect((caught as MetalFaissError).code).toBe('IO_FORMAT');
          expect((caught as Error).message).toMatch(/at byte offset \d+/);
          n++;
        }
      }
    }
    stats.truncations = n;
    expect(n).toBeGreaterThan(2000);
  });

  it('random bit flips parse cleanly or fail with IO_FORMAT', () => {
    const r = rng(2024);
    let n = 0;
    for (const s of samples) {
      for (let k = 0; k < 60; k++) {
        const data = s.bytes.slice();
        const flips = 1 + Math.floor(r() * 3);
        for (let f = 0; f < flips; f++) {
          // bias towards the structural prefix, where headers live
          const at = r() < 0.6 ? Math.floor(r() * Math.min(data.length, 128)) : Math.floor(r() * data.length);
          data[at] ^= 1 << Math.floor(r() * 8);
        }
        check(s, data, `bit flips #${k}`);
        n++;
      }
    }
    expect(n).toBeGreaterThan(2000);
  });

  it('extreme values over 4- and 8-byte fields parse cleanly or fail with IO_FORMAT', () => {
    const r = rng(77);
    const extremes8 = [2n ** 40n, 2n ** 63n - 1n, -1n, 2n ** 53n, 2n ** 32n, 1n << 20n, 0n];
    const extremes4 = [0x7fffffff, -1, 0x80000000 | 0, 1 << 20, 0, 65536];
    let n = 0;
    for (const s of samples) {
      const starts = [0, ...s.boundaries];
      for (let i = 0; i + 1 < starts.length && i < 60; i++) {
        const at = starts[i];
        const width = starts[i + 1] - at;
        if (width !== 4 && width !== 8) continue;
        const data = s.bytes.slice();
        const v = new DataView(data.buffer, data.byteOffset);
        if (width === 8) v.setBigInt64(at, extremes8[Math.floor(r() * extremes8.length)], true);
        else v.setInt32(at, extremes4[Math.floor(r() * extremes4.length)], true);
        check(s, data, `extreme value at ${at}`);
        n++;
      }
    }
    expect(n).toBeGreaterThan(800);
  });

  it('random bytes and random tails are clean errors', () => {
    const r = rng(5);
    for (let k = 0; k < 300; k++) {
      const s = samples[k % samples.length];
      const data = new Uint8Array(1 + Math.floor(r() * 300));
      for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
      // half of them keep a valid fourcc so the header parser is exercised
      if (k % 2 === 0) data.set(s.bytes.subarray(0, Math.min(4, data.length)));
      check(s, data, `random #${k}`);
      // a valid prefix followed by garbage
      const cut = Math.floor(r() * s.bytes.length);
      const mixed = new Uint8Array(s.bytes.length);
      mixed.set(s.bytes.subarray(0, cut));
      for (let i = cut; i < mixed.length; i++) mixed[i] = Math.floor(r() * 256);
      check(s, mixed, `garbage tail from ${cut}`);
    }
  });

  it('saw every kind of outcome', () => {
    console.log('fuzz outcomes', JSON.stringify(stats));
    expect(stats.parsed).toBeGreaterThan(100);
    expect(stats.ioFormat).toBeGreaterThan(1000);
  });
});
