/**
 * Files and streams: the fd-cursor reader (windowed scalars, direct bulk
 * reads), the stream reader over chunk lists, atomic file writes
 * (temporary file + rename) and stream writes with backpressure.
 */
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MetalFaissError,
  readIndex,
  readIndexAsync,
  readIndexBinary,
  readIndexBinaryAsync,
  readIndexBinaryFromStream,
  readIndexFromStream,
  writeIndex,
  writeIndexBinary,
  writeIndexBinaryToFile,
  writeIndexBinaryToFileAsync,
  writeIndexBinaryToStream,
  writeIndexToFile,
  writeIndexToFileAsync,
  writeIndexToStream,
  type IndexRecord,
} from '../src/index';
import { recordDiff } from './helpers/compare';
import { binaryIvf, flat, header, randomFloats, rng } from './helpers/synthetic';

function same(a: unknown, b: unknown): void {
  expect(recordDiff(a, b)).toBeUndefined();
}

const dir = mkdtempSync(join(tmpdir(), 'metalfaiss-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** IVF-Flat with lists of very uneven sizes (0 .. ~120 KB) so reads straddle the 64 KB window. */
function unevenIvf(): IndexRecord {
  const r = rng(11);
  const d = 100;
  const nlist = 24;
  let id = 0;
  const lists = Array.from({ length: nlist }, (_, i) => {
    const n = i % 5 === 0 ? 0 : Math.floor(r() * 300) + (i % 7 === 0 ? 1 : 0);
    const ids = BigInt64Array.from({ length: n }, () => BigInt(id++));
    return { codes: new Uint8Array(randomFloats(r, n * d).buffer), ids };
  });
  return {
    fourcc: 'IwFl',
    header: header(d, id),
    nlist,
    nprobe: 4,
    quantizer: flat(r, d, nlist),
    directMap: { type: 0, array: new BigInt64Array(0), hashtable: new BigInt64Array(0) },
    invlists: { fourcc: 'ilar', nlist, codeSize: d * 4, lists },
  };
}

const rec = unevenIvf();
const bytes = writeIndex(rec);

function chunked(data: Uint8Array, seed: number): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; ) {
    const n = Math.min(data.length - at, 1 + Math.floor(r() * 5000));
    out.push(data.slice(at, at + n));
    at += n;
  }
  return out;
}

describe('reading from a file path', () => {
  it('the fd cursor reads exactly what the in-memory reader reads', () => {
    const path = join(dir, 'uneven.index');
    writeFileSync(path, bytes);
    expect(bytes.length).toBeGreaterThan(1 << 20);
    same(readIndex(path), rec);
    same(readIndex(bytes), rec);
  });

  it('async file read gives the same record', async () => {
    const path = join(dir, 'uneven-async.index');
    writeFileSync(path, bytes);
    same(await readIndexAsync(path), rec);
  });

  it('a truncated file gives IO_FORMAT with the offset', () => {
    const path = join(dir, 'trunc.index');
    writeFileSync(path, bytes.subarray(0, 200_000));
    let err: unknown;
    try {
      readIndex(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MetalFaissError);
    expect((err as MetalFaissError).code).toBe('IO_FORMAT');
    expect((err as Error).message).toMatch(/IwFl > ilar > list \d+ (codes|ids).*byte offset \d+ of .*trunc\.index/);
  });

  it('a directory is not a file', () => {
    expect(() => readIndex(dir)).toThrow(/regular file/);
  });
});

describe('writing files atomically', () => {
  it('sync and async writes produce the bytes of writeIndex', async () => {
    const a = join(dir, 'a.index');
    const b = join(dir, 'b.index');
    writeIndexToFile(rec, a);
    await writeIndexToFileAsync(rec, b, { fsync: false });
    expect(readFileSync(a).equals(Buffer.from(bytes))).toBe(true);
    expect(readFileSync(b).equals(Buffer.from(bytes))).toBe(true);
  });

  it('a bad record leaves the existing file untouched and no temporary file behind', async () => {
    const path = join(dir, 'keep.index');
    writeIndexToFile(rec, path);
    const bad = { ...rec, header: { ...rec.header, ntotal: -3 } } as IndexRecord;
    expect(() => writeIndexToFile(bad, path)).toThrow(MetalFaissError);
    await expect(writeIndexToFileAsync(bad, path)).rejects.toThrow(MetalFaissError);
    expect(readFileSync(path).equals(Buffer.from(bytes))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a failing rename (target is a directory) cleans up and reports INVALID_ARGUMENT', async () => {
    const sub = join(dir, 'occupied');
    writeFileSync(join(dir, 'marker'), 'x');
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(join(sub, 'inner'), { recursive: true });
    let err: unknown;
    try {
      writeIndexToFile(rec, sub);
    } catch (e) {
      err = e;
    }
    expect((err as MetalFaissError).code).toBe('INVALID_ARGUMENT');
    await expect(writeIndexToFileAsync(rec, sub)).rejects.toThrow(/writable file path/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(sub)).toEqual(['inner']);
  });

  it('a missing directory is INVALID_ARGUMENT', () => {
    expect(() => writeIndexToFile(rec, join(dir, 'no', 'such', 'x.index'))).toThrow(/writable file path/);
  });

  it('binary records have the same file API', async () => {
    const b = binaryIvf(rng(3), 32, 50, 4);
    const p1 = join(dir, 'b1.index');
    const p2 = join(dir, 'b2.index');
    writeIndexBinaryToFile(b, p1);
    await writeIndexBinaryToFileAsync(b, p2);
    same(readIndexBinary(p1), b);
    same(await readIndexBinaryAsync(p2), b);
    expect(readFileSync(p1).equals(Buffer.from(writeIndexBinary(b)))).toBe(true);
  });
});

describe('streams', () => {
  it('reads from a file stream with small chunks', async () => {
    const path = join(dir, 'stream.index');
    writeFileSync(path, bytes);
    same(await readIndexFromStream(createReadStream(path, { highWaterMark: 1000 })), rec);
  });

  it('reads from an async iterable of odd-sized chunks', async () => {
    same(await readIndexFromStream(Readable.from(chunked(bytes, 5))), rec);
    async function* gen(): AsyncGenerator<Uint8Array> {
      yield* chunked(bytes, 6);
    }
    same(await readIndexFromStream(gen()), rec);
  });

  it('rejects text streams and streams over maxBytes', async () => {
    await expect(readIndexFromStream(Readable.from(['abc']))).rejects.toThrow(/Uint8Array chunks/);
    await expect(readIndexFromStream(Readable.from(chunked(bytes, 7)), { maxBytes: 1000 })).rejects.toThrow(/maxBytes/);
    await expect(readIndexFromStream(42 as unknown as Readable)).rejects.toThrow(/readable stream/);
  });

  it('writes to a slow writable stream with backpressure', async () => {
    const got: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _enc, cb) {
        got.push(Buffer.from(chunk));
        setImmediate(cb);
      },
    });
    await writeIndexToStream(rec, slow);
    expect(Buffer.concat(got).equals(Buffer.from(bytes))).toBe(true);
  });

  it('round trips through a PassThrough', async () => {
    const b = binaryIvf(rng(4), 64, 80, 5);
    const pass = new PassThrough();
    const reading = readIndexBinaryFromStream(pass);
    await writeIndexBinaryToStream(b, pass);
    pass.end();
    same(await reading, b);
  });

  it('a stream that errors rejects the write', async () => {
    const broken = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, cb) {
        cb(new Error('disk on fire'));
      },
    });
    broken.on('error', () => undefined);
    await expect(writeIndexToStream(rec, broken)).rejects.toThrow(/disk on fire/);
  });
});
