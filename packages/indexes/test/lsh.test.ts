/**
 * IndexLSH against FAISS: the same codes (so the same search results) without
 * rotation, trained thresholds equal FAISS's medians, the rotation is
 * FAISS's (seed 5) up to float rounding; sa_decode; bad input.
 */
import { describe, expect, it } from 'vitest';
import { IndexLSH, MetalFaissError, signBits } from '../src/index';
import { FAISS_SKIP, PY_HEAD, clustered, hasFaiss, runFaiss } from './hnsw-helpers';

if (!hasFaiss) console.warn(FAISS_SKIP);

const FAISS_LSH = `
d, nbits, rot, tt = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
x = f32('x.f32', d); q = f32('q.f32', d)
idx = faiss.IndexLSH(d, nbits, bool(rot), bool(tt))
if tt: idx.train(x)
idx.add(x)
out('codes.u8', faiss.vector_to_array(idx.codes).astype(np.uint8))
out('thr.f32', faiss.vector_to_array(idx.thresholds).astype(np.float32))
out('A.f32', faiss.vector_to_array(idx.rrot.A).astype(np.float32))
Dd, I = idx.search(q, 10)
out('D.f32', Dd.astype(np.float32)); out('I.i64', I.astype(np.int64))
out('dec.f32', idx.sa_decode(faiss.vector_to_array(idx.codes).reshape(-1, idx.code_size)[:20]).astype(np.float32))
`;

function faissLsh(x: Float32Array, q: Float32Array, d: number, nbits: number, rot: boolean, tt: boolean) {
  return runFaiss(PY_HEAD + FAISS_LSH, { 'x.f32': x, 'q.f32': q }, [String(d), String(nbits), rot ? '1' : '0', tt ? '1' : '0']);
}

describe('IndexLSH', () => {
  it('signBits packs x >= 0 LSB first', () => {
    expect(Array.from(signBits(new Float32Array([1, -1, 0, -0.5, 2, 2, 2, -2, 3]), 1, 9))).toEqual([0b01110101, 1]);
  });

  it('bad input: nbits > d without rotation, nbits < 1, untrained search, wrong dimension', () => {
    expect(() => new IndexLSH(8, 9, false)).toThrow(MetalFaissError);
    expect(() => new IndexLSH(8, 0)).toThrow(MetalFaissError);
    const lsh = new IndexLSH(8, 8, false, true);
    expect(lsh.isTrained).toBe(false);
    expect(() => lsh.addSync(new Float32Array(8))).toThrow(/train/);
    expect(() => lsh.searchSync(new Float32Array(8), 1)).toThrow(MetalFaissError);
    lsh.trainSync(clustered(50, 8, 1));
    expect(() => lsh.addSync(new Float32Array(7))).toThrow(MetalFaissError);
    expect(lsh.ntotal).toBe(0);
  });

  it('search ranks by Hamming distance; reconstruct is +-1 (+ thresholds) without rotation', () => {
    const d = 16;
    const x = clustered(500, d, 2);
    const lsh = new IndexLSH(d, 16, false);
    lsh.addSync(x);
    const r = lsh.searchSync(x.subarray(0, 5 * d), 3);
    for (let i = 0; i < 5; i++) expect(r.distances[i * 3]).toBe(0);
    const rec = lsh.reconstruct(0);
    for (let j = 0; j < d; j++) expect(rec[j]).toBe(x[j] >= 0 ? 1 : -1);
    const rr = lsh.rangeSearchSync(x.subarray(0, d), 0.5);
    for (let t = 0; t < rr.distances.length; t++) expect(rr.distances[t]).toBe(0);
  });

  it.skipIf(!hasFaiss)('without rotation: the same codes, search results and sa_decode as FAISS (plain and trained thresholds)', () => {
    const d = 40;
    const x = clustered(3000, d, 3);
    const q = clustered(30, d, 4);
    for (const [nbits, tt] of [
      [40, false],
      [27, true],
    ] as const) {
      const f = faissLsh(x, q, d, nbits, false, tt);
      const lsh = new IndexLSH(d, nbits, false, tt);
      if (tt) lsh.trainSync(x);
      lsh.addSync(x);
      if (tt) expect(lsh.thresholds).toEqual(f.f32('thr.f32'));
      expect(lsh.codes).toEqual(f.u8('codes.u8'));
      const r = lsh.searchSync(q, 10);
      expect(r.labels).toEqual(f.i64('I.i64'));
      expect(r.distances).toEqual(f.f32('D.f32'));
      const dec = lsh.reconstructN(0, 20);
      const fdec = f.f32('dec.f32');
      // FAISS leaves components past nbits uninitialised: compare the first nbits of each row
      for (let i = 0; i < 20; i++) for (let j = 0; j < nbits; j++) expect(dec[i * d + j]).toBe(fdec[i * d + j]);
    }
  });

  it.skipIf(!hasFaiss)("with rotation: FAISS's matrix (seed 5) up to float rounding, and nearly every code bit equal", () => {
    const d = 32;
    const x = clustered(2000, d, 5);
    const q = clustered(30, d, 6);
    for (const nbits of [24, 64]) {
      const f = faissLsh(x, q, d, nbits, true, false);
      const lsh = new IndexLSH(d, nbits, true);
      const A = lsh.rrot.A;
      const fA = f.f32('A.f32');
      expect(A.length).toBe(fA.length);
      let maxDiff = 0;
      for (let i = 0; i < A.length; i++) maxDiff = Math.max(maxDiff, Math.abs(A[i] - fA[i]));
      expect(maxDiff).toBeLessThan(1e-4);
      lsh.addSync(x);
      const fc = f.u8('codes.u8');
      let diffBits = 0;
      for (let i = 0; i < fc.length; i++) {
        let v = fc[i] ^ lsh.codes[i];
        while (v) {
          diffBits += v & 1;
          v >>= 1;
        }
      }
      // a bit differs only where a projection is within rounding of 0
      expect(diffBits / (fc.length * 8)).toBeLessThan(1e-3);
      const r = lsh.searchSync(q, 10);
      const fI = f.i64('I.i64');
      let same = 0;
      for (let i = 0; i < fI.length; i++) if (fI[i] === r.labels[i]) same++;
      expect(same / fI.length).toBeGreaterThan(0.9);
    }
  });

  it('toParts / fromParts round trip; mergeFrom; removeIds', async () => {
    const d = 16;
    const x = clustered(300, d, 7);
    const a = new IndexLSH(d, 32, true, true);
    await a.train(x);
    await a.add(x.subarray(0, 200 * d));
    const b = IndexLSH.fromParts(a.toParts());
    expect(b.searchSync(x.subarray(0, 10 * d), 5)).toEqual(a.searchSync(x.subarray(0, 10 * d), 5));
    const c = IndexLSH.fromParts({ ...a.toParts(), codes: new Uint8Array(0) });
    c.addSync(x.subarray(200 * d));
    a.mergeFrom(c);
    expect(a.ntotal).toBe(300);
    expect(a.removeIds([0, 1, 2])).toBe(3);
    expect(a.ntotal).toBe(297);
  });
});
