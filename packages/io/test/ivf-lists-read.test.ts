/**
 * Reading `ilar` inverted lists: all lists come from one buffer read in one
 * pass (codes and, where 8-byte aligned, ids are views of it; ids that are
 * not aligned are copied into one spill array), the buffer is the reader's
 * own (never a view of the caller's bytes), and the bytes round-trip exactly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readIndex, readIndexAsync, readIndexFromStream, writeIndex } from '../src';
import type { IndexIVFFlatRecord, IndexRecord, InvertedList } from '../src';
import { header, randomFloats, rng } from './helpers/synthetic';

type IvfFlat = IndexIVFFlatRecord;

/** An IwFl record whose list sizes are given (d odd: some lists' ids are not 8-byte aligned in the file). */
function ivfFlat(d: number, sizes: number[], seed = 1): IvfFlat {
  const r = rng(seed);
  const nlist = sizes.length;
  let id = 0n;
  const lists: InvertedList[] = sizes.map((n) => {
    const ids = new BigInt64Array(n);
    for (let i = 0; i < n; i++) ids[i] = id++ * 3n - 5n;
    const codes = new Uint8Array(randomFloats(r, n * d).buffer);
    return { codes, ids };
  });
  const ntotal = sizes.reduce((a, b) => a + b, 0);
  return {
    fourcc: 'IwFl',
    header: header(d, ntotal),
    nlist,
    nprobe: 2,
    quantizer: { fourcc: 'IxF2', header: header(d, nlist), xb: randomFloats(r, nlist * d) },
    directMap: { type: 0, array: new BigInt64Array(0), hashtable: new BigInt64Array(0) },
    invlists: { fourcc: 'ilar', nlist, codeSize: d * 4, lists },
  };
}

function listsOf(rec: IndexRecord): InvertedList[] {
  const il = (rec as IvfFlat).invlists;
  if (il.fourcc !== 'ilar') throw new Error('no lists');
  return il.lists;
}

const dir = mkdtempSync(join(tmpdir(), 'mf-io-lists-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ilar lists are read into one buffer', () => {
  const sizes = [3, 1, 0, 4, 2, 0, 5];

  it.each([
    ['d = 4 (every id aligned)', 4],
    ['d = 3 (odd code size / 8: some ids go to the spill array)', 3],
  ])('%s: same entries, byte-exact round trip, from a path, bytes, a stream and async', async (_, d) => {
    const rec = ivfFlat(d, sizes);
    const bytes = writeIndex(rec);
    const path = join(dir, `ivf-${d}.index`);
    writeFileSync(path, bytes);
    const fromBytes = readIndex(bytes);
    const reads = [
      fromBytes,
      readIndex(path),
      await readIndexAsync(path),
      await readIndexFromStream(Readable.from([bytes.subarray(0, 101), bytes.subarray(101)])),
    ];
    for (const got of reads) {
      expect(got).toEqual(rec);
      expect(writeIndex(got)).toEqual(bytes);
      const lists = listsOf(got);
      // all non-empty codes share one buffer, and float codes stay 4-byte aligned
      const buffers = new Set(lists.filter((l) => l.ids.length > 0).map((l) => l.codes.buffer));
      expect(buffers.size).toBe(1);
      for (const l of lists) expect(l.codes.byteOffset % 4).toBe(0);
      if (d === 4) for (const l of lists) if (l.ids.length > 0) expect(l.ids.buffer).toBe(l.codes.buffer);
      if (d === 3) expect(lists.some((l) => l.ids.length > 0 && l.ids.buffer !== l.codes.buffer)).toBe(true);
    }
    // the record owns its buffer: changing the caller's bytes afterwards changes nothing
    const copy = bytes.slice();
    bytes.fill(0xee);
    expect(writeIndex(fromBytes)).toEqual(copy);
  });

  it('all lists empty, and a single list', () => {
    for (const s of [[0, 0, 0], [7]]) {
      const rec = ivfFlat(5, s, 3);
      const bytes = writeIndex(rec);
      const got = readIndex(bytes);
      expect(got).toEqual(rec);
      expect(writeIndex(got)).toEqual(bytes);
    }
  });

  it('readIndexAsync keeps aligned views of the one buffer it read the file into (about 1x the file)', async () => {
    const rec = ivfFlat(3, [2000, 0, 1500, 900], 5);
    const bytes = writeIndex(rec);
    const path = join(dir, 'async-views.index');
    writeFileSync(path, bytes);
    const got = await readIndexAsync(path);
    expect(got).toEqual(rec);
    const lists = listsOf(got);
    const buf = lists[0].codes.buffer;
    expect(buf.byteLength).toBe(bytes.length + 8);
    for (const l of lists) if (l.ids.length > 0) expect(l.codes.buffer).toBe(buf);
    for (const l of lists) expect(l.codes.byteOffset % 4).toBe(0);
    // a flat index: its vectors are a view too
    const flat: IndexRecord = { fourcc: 'IxF2', header: header(5, 5000), xb: randomFloats(rng(9), 25000) };
    const fb = writeIndex(flat);
    writeFileSync(path, fb);
    const f = (await readIndexAsync(path)) as Extract<IndexRecord, { xb: Float32Array }>;
    expect(f).toEqual(flat);
    expect(f.xb.buffer.byteLength).toBe(fb.length + 8);
  });

  it('readIndexFromStream copies the chunks into one growable buffer as they come and keeps views of it', async () => {
    const rec = ivfFlat(3, [2000, 0, 1500, 900], 6);
    const bytes = writeIndex(rec);
    const chunks: Uint8Array[] = [];
    for (let o = 0; o < bytes.length; o += 4093) chunks.push(bytes.slice(o, o + 4093));
    const got = await readIndexFromStream(Readable.from(chunks));
    expect(got).toEqual(rec);
    const lists = listsOf(got);
    for (const l of lists) if (l.ids.length > 0) expect(l.codes.buffer).toBe(lists[0].codes.buffer);
    expect(lists[0].codes.buffer.byteLength).toBe(bytes.length + 8);
    const path = join(dir, 'from-stream.index');
    const { writeIndexToFile } = await import('../src');
    writeIndexToFile(got, path, { fsync: false });
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    // maxBytes is still enforced
    await expect(readIndexFromStream(Readable.from(chunks), { maxBytes: bytes.length - 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await readIndexFromStream(Readable.from(chunks), { maxBytes: bytes.length })).toEqual(rec);
  });
});
