/**
 * read_index / write_index for the flat family and IDMap wrappers: round trips
 * byte for byte, FAISS-written files load here with FAISS's results, and our
 * files load in FAISS with ours.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable, runFaiss } from './faiss-oracle';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

const d = 32;
const xb = rand(2000 * d, 21);
const xq = rand(20 * d, 22);
const dir = mkdtempSync(join(tmpdir(), 'mf-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serialize / deserialize (ours)', () => {
  it('IndexFlatL2 and IndexFlatIP round trip with equal results and bytes', () => {
    for (const index of [new faiss.IndexFlatL2(d), new faiss.IndexFlatIP(d)]) {
      index.add(xb);
      const bytes = faiss.serialize_index(index);
      expect(bytes.length).toBe(4 + 33 + 8 + 2000 * d * 4);
      const back = faiss.deserialize_index(bytes);
      expect(back).toBeInstanceOf(index.metric_type === faiss.METRIC_L2 ? faiss.IndexFlatL2 : faiss.IndexFlatIP);
      expect(back.ntotal).toBe(2000);
      expect(back.search(xq, 5)).toEqual(index.search(xq, 5));
      expect(faiss.serialize_index(back)).toEqual(bytes);
    }
  });

  it('IndexIDMap2 with 64-bit ids round trips through a file', () => {
    const index = new faiss.IndexIDMap2(new faiss.IndexFlatL2(d));
    const ids = new BigInt64Array(2000).map((_, i) => 2n ** 62n + BigInt(i));
    index.add_with_ids(xb, ids);
    const path = join(dir, 'idmap2.faiss');
    faiss.write_index(index, path);
    const back = faiss.read_index(path);
    expect(back).toBeInstanceOf(faiss.IndexIDMap2);
    expect(back.search(xq, 3)).toEqual(index.search(xq, 3));
    expect(Array.from(back.reconstruct(2n ** 62n + 5n))).toEqual(Array.from(xb.subarray(5 * d, 6 * d)));
    expect((back as faiss.IndexIDMap2).index).toBeInstanceOf(faiss.IndexFlatL2);
  });

  it('rejects bad arguments and corrupt bytes', () => {
    expect(() => faiss.read_index(42 as never)).toThrow(/file path or a Uint8Array/);
    const bytes = faiss.serialize_index(Object.assign(new faiss.IndexFlatL2(d), {}));
    expect(() => faiss.deserialize_index(bytes.subarray(0, 20))).toThrow(expect.objectContaining({ code: 'IO_FORMAT' }));
    expect(() => faiss.read_index(join(dir, 'missing.faiss'))).toThrow(faiss.MetalFaissError);
  });
});

const writeScript = `
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32)
flat = faiss.IndexFlatL2(32); flat.add(xb)
ip = faiss.IndexFlatIP(32); ip.add(xb)
idm = faiss.IndexIDMap(faiss.IndexFlatL2(32)); idm.add_with_ids(xb, np.arange(2000, dtype='int64') * 7 + 2**40)
idm2 = faiss.IndexIDMap2(faiss.IndexFlatIP(32)); idm2.add_with_ids(xb, np.arange(2000, dtype='int64')[::-1].copy())
for name, index in [('flat', flat), ('ip', ip), ('idm', idm), ('idm2', idm2)]:
    faiss.write_index(index, D + '/' + name + '.faiss')
    Dv, Iv = index.search(xq, 5)
    save(name + '_D', Dv); save(name + '_I', Iv)
    import shutil; shutil.copy(D + '/' + name + '.faiss', D + '/' + name + '.bin')
`;

describe.skipIf(!faissAvailable())('interop with real FAISS', () => {
  it('FAISS-written flat and IDMap files load here with FAISS results, and write back byte for byte', () => {
    const names = ['flat', 'ip', 'idm', 'idm2'];
    const out = runFaiss(writeScript, { xb, xq }, names.flatMap((n) => [n, `${n}_D`, `${n}_I`]));
    for (const name of names) {
      const bytes = new Uint8Array(out[name]);
      const index = faiss.deserialize_index(bytes);
      expect(index.ntotal).toBe(2000);
      const [D, I] = index.search(xq, 5);
      expect(I).toEqual(asI64(out[`${name}_I`]));
      const FD = asF32(out[`${name}_D`]);
      for (let i = 0; i < D.length; i++) expect(D[i]).toBeCloseTo(FD[i], 4);
      expect(Buffer.from(faiss.serialize_index(index)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('our files load in FAISS with our results', () => {
    const flat = new faiss.IndexFlatL2(d);
    flat.add(xb);
    const idm = new faiss.IndexIDMap(new faiss.IndexFlatIP(d));
    idm.add_with_ids(xb, new BigInt64Array(2000).map((_, i) => BigInt(i) * 3n + 2n ** 50n));
    const inputs: Record<string, Uint8Array | Float32Array> = { xq };
    const ours: Record<string, [Float32Array, BigInt64Array]> = {};
    for (const [name, index] of [['flat', flat], ['idm', idm]] as const) {
      const path = join(dir, `${name}-ours.faiss`);
      faiss.write_index(index, path);
      inputs[`${name}_file`] = new Uint8Array(readFileSync(path));
      ours[name] = index.search(xq, 5);
    }
    const script = `
xq = load('xq', 'float32').reshape(-1, 32)
for name in ['flat', 'idm']:
    index = faiss.read_index(D + '/' + name + '_file.bin')
    Dv, Iv = index.search(xq, 5)
    save(name + '_D', Dv); save(name + '_I', Iv)
`;
    const out = runFaiss(script, inputs, ['flat_D', 'flat_I', 'idm_D', 'idm_I']);
    for (const name of ['flat', 'idm']) {
      expect(asI64(out[`${name}_I`])).toEqual(ours[name][1]);
      const FD = asF32(out[`${name}_D`]);
      for (let i = 0; i < FD.length; i++) expect(ours[name][0][i]).toBeCloseTo(FD[i], 4);
    }
    writeFileSync(join(dir, 'done'), '');
  });
});
