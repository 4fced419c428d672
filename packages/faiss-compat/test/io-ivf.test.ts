/**
 * IndexIVFFlat io (IwFl) against FAISS 1.7.3: FAISS-written files load here
 * and search as FAISS does (stored nprobe and another), write back byte for
 * byte (sparse and full lists, no / array / hashtable direct maps), and
 * reconstruct / remove_ids after loading behave as FAISS's; our own indexes
 * written here load in FAISS with our results and re-serialise in FAISS to
 * our bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ix from '@metalfaiss/indexes';
import * as io from '@metalfaiss/io';
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable } from './faiss-oracle';
import { clustered, d, expectSameResults, load, runFaiss1, sameBytes, save } from './io-ivf-helpers';

const nb = 3000;
const nq = 30;
const k = 10;
const xb = clustered(nb, 31);
const xq = clustered(nq, 32);
const bigIds = new BigInt64Array(nb).map((_, i) => 2n ** 40n + BigInt(i) * 7919n);

function ours(nlist: number, metric: 'l2' | 'ip'): ix.IndexIVFFlat {
  const index = new ix.IndexIVFFlat(d, nlist, { metric });
  index.trainSync(xb);
  return index;
}

describe('IndexIVFFlat records (ours)', () => {
  it('round trips: fields, nprobe, direct map, search results and bytes', () => {
    const index = ours(16, 'l2');
    index.addWithIdsSync(xb, bigIds);
    index.setDirectMapType('hashtable');
    index.nprobe = 5;
    const bytes = save(index);
    const back = load<ix.IndexIVFFlat>(bytes);
    expect(back).toBeInstanceOf(ix.IndexIVFFlat);
    expect([back.ntotal, back.nlist, back.nprobe, back.metricType, back.directMap.type]).toEqual([nb, 16, 5, ix.MetricType.L2, 'hashtable']);
    expect(back.searchSync(xq, k)).toEqual(index.searchSync(xq, k));
    expect(Array.from(back.reconstruct(bigIds[77]))).toEqual(Array.from(xb.subarray(77 * d, 78 * d)));
    expect(sameBytes(save(back), bytes)).toBe(true);
  });

  it('an untrained index and an empty trained one round trip', () => {
    for (const index of [new ix.IndexIVFFlat(d, 8, { metric: 'ip' }), ours(16, 'ip')]) {
      const bytes = save(index);
      const back = load<ix.IndexIVFFlat>(bytes);
      expect([back.isTrained, back.ntotal, back.metricType]).toEqual([index.isTrained, 0, ix.MetricType.INNER_PRODUCT]);
      expect(sameBytes(save(back), bytes)).toBe(true);
    }
  });

  it('refuses inconsistent records with IO_FORMAT and lists-less files with UNSUPPORTED', () => {
    const index = ours(16, 'l2');
    index.addSync(xb.subarray(0, 200 * d));
    index.makeDirectMap();
    const bytes = save(index);
    const bad = io.readIndex(bytes) as io.IndexIVFFlatRecord;
    bad.directMap.array[3] = bad.directMap.array[4];
    expect(() => faiss.mappingContext.fromRecord(bad)).toThrow(expect.objectContaining({ code: 'IO_FORMAT', message: expect.stringMatching(/IwFl.*id 3/) }));
    const bad2 = io.readIndex(bytes) as io.IndexIVFFlatRecord;
    bad2.header.ntotal = 199;
    expect(() => faiss.mappingContext.fromRecord(bad2)).toThrow(expect.objectContaining({ code: 'IO_FORMAT' }));
    const noLists = { ...(io.readIndex(bytes) as io.IndexIVFFlatRecord), invlists: { fourcc: 'il00' as const } };
    expect(() => faiss.mappingContext.fromRecord(noLists)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringMatching(/without its inverted lists/) }));
    const l1 = io.readIndex(bytes) as io.IndexIVFFlatRecord;
    l1.header = { ...l1.header, metricType: 2 };
    expect(() => faiss.mappingContext.fromRecord(l1)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => faiss.deserialize_index(bytes.subarray(0, bytes.length - 9))).toThrow(expect.objectContaining({ code: 'IO_FORMAT' }));
  });

  it('write_index / read_index through a file give the compat classes, FAISS-style', () => {
    const quantizer = new faiss.IndexFlatIP(d);
    const index = new faiss.IndexIVFFlat(quantizer, d, 16, faiss.METRIC_INNER_PRODUCT);
    index.train(xb);
    index.add(xb);
    index.nprobe = 4;
    index.make_direct_map();
    const dir = mkdtempSync(join(tmpdir(), 'mf-io-ivf-'));
    try {
      const path = join(dir, 'ivf.faiss');
      faiss.write_index(index, path);
      const back = faiss.read_index(path) as faiss.IndexIVFFlat;
      expect(back).toBeInstanceOf(faiss.IndexIVFFlat);
      expect(back.quantizer).toBeInstanceOf(faiss.IndexFlatIP);
      expect([back.nprobe, back.nlist, back.direct_map.type, back.metric_type]).toEqual([4, 16, 1, faiss.METRIC_INNER_PRODUCT]);
      expect(back.search(xq, k)).toEqual(index.search(xq, k));
      expect(back.reconstruct(7)).toEqual(index.reconstruct(7));
      expect(sameBytes(faiss.serialize_index(back), new Uint8Array(readFileSync(path)))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// FAISS builds, trains, fills and writes; searches at the stored nprobe and another; then reconstructs and removes.
const faissWrites = `
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32); ids = load('ids', 'int64')
k = ${k}
def searches(name, index, other):
    for tag, npb in [('a', index.nprobe), ('b', other)]:
        keep = index.nprobe; index.nprobe = npb
        Dv, Iv = index.search(xq, k); save(name + '_D' + tag, Dv); save(name + '_I' + tag, Iv)
        index.nprobe = keep
    save(name, faiss.serialize_index(index))

l2 = faiss.IndexIVFFlat(faiss.IndexFlatL2(32), 32, 32); l2.train(xb); l2.add(xb); l2.nprobe = 4
searches('l2', l2, 11)
save('l2_rn', l2.reconstruct_n(0, l2.ntotal))
sel = np.arange(0, 3000, 7, dtype='int64')
save('l2_nrm', np.array([l2.remove_ids(sel)], dtype='int64'))
searches('l2_rm', l2, 11)

ip = faiss.IndexIVFFlat(faiss.IndexFlatIP(32), 32, 16, faiss.METRIC_INNER_PRODUCT); ip.train(xb); ip.add(xb); ip.nprobe = 3
ip.make_direct_map()
searches('ip', ip, 16)
save('ip_rec', np.stack([ip.reconstruct(int(i)) for i in [0, 5, 2999]]))
try:
    ip.remove_ids(np.array([1], dtype='int64')); save('ip_rmok', np.array([1], dtype='int64'))
except RuntimeError:
    save('ip_rmok', np.array([0], dtype='int64'))

hs = faiss.IndexIVFFlat(faiss.IndexFlatL2(32), 32, 64); hs.train(xb); hs.add_with_ids(xb, ids); hs.nprobe = 8
hs.set_direct_map_type(faiss.DirectMap.Hashtable)
searches('hs', hs, 20)
save('hs_rec', np.stack([hs.reconstruct(int(ids[i])) for i in [0, 1000, 2999]]))
rm = ids[::5].copy()
save('hs_nrm', np.array([hs.remove_ids(faiss.IDSelectorArray(rm.size, faiss.swig_ptr(rm)))], dtype='int64'))
searches('hs_rm', hs, 20)
save('hs_rec2', np.stack([hs.reconstruct(int(ids[i])) for i in [1, 1001, 2998]]))

sp = faiss.IndexIVFFlat(faiss.IndexFlatL2(32), 32, 64); sp.train(xb); sp.add(xb[:20]); sp.nprobe = 2
searches('sp', sp, 64)
`;

const caseNames = ['l2', 'l2_rm', 'ip', 'hs', 'hs_rm', 'sp'];
const faissOutputs = [
  ...caseNames.flatMap((n) => [n, `${n}_Da`, `${n}_Ia`, `${n}_Db`, `${n}_Ib`]),
  'l2_rn', 'l2_nrm', 'ip_rec', 'ip_rmok', 'hs_rec', 'hs_nrm', 'hs_rec2',
];
const other: Record<string, number> = { l2: 11, l2_rm: 11, ip: 16, hs: 20, hs_rm: 20, sp: 64 };

function expectSearches(index: ix.IndexIVF, out: Record<string, Buffer>, name: string): void {
  const a = index.searchSync(xq, k);
  expectSameResults(a.distances, a.labels, asF32(out[`${name}_Da`]), asI64(out[`${name}_Ia`]), k, 1e-5, `${name} stored nprobe`);
  const b = index.searchSync(xq, k, { nprobe: other[name] });
  expectSameResults(b.distances, b.labels, asF32(out[`${name}_Db`]), asI64(out[`${name}_Ib`]), k, 1e-5, `${name} nprobe ${other[name]}`);
}

describe.skipIf(!faissAvailable())('IndexIVFFlat interop with FAISS 1.7.3', () => {
  it('FAISS files load with FAISS results, write back byte for byte, and reconstruct / remove as FAISS', () => {
    const out = runFaiss1(faissWrites, { xb, xq, ids: bigIds }, faissOutputs);
    const bytes = (n: string) => new Uint8Array(out[n]);
    const rows = (n: string) => asF32(out[n]);

    // no direct map, full lists
    const l2 = load<ix.IndexIVFFlat>(bytes('l2'));
    expect([l2.ntotal, l2.nlist, l2.nprobe, l2.directMap.type]).toEqual([nb, 32, 4, 'none']);
    expectSearches(l2, out, 'l2');
    expect(sameBytes(save(l2), bytes('l2'))).toBe(true);
    expect(l2.reconstructN(0, nb)).toEqual(rows('l2_rn'));
    expect(() => l2.reconstruct(3)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    const sel = new BigInt64Array(Math.ceil(nb / 7)).map((_, i) => BigInt(i * 7));
    expect(l2.removeIds(sel)).toBe(Number(asI64(out.l2_nrm)[0]));
    expectSearches(l2, out, 'l2_rm');
    expect(sameBytes(save(l2), bytes('l2_rm'))).toBe(true); // same removal order as FAISS: same lists

    // inner product, array direct map
    const ip = load<ix.IndexIVFFlat>(bytes('ip'));
    expect([ip.metricType, ip.nprobe, ip.directMap.type]).toEqual([ix.MetricType.INNER_PRODUCT, 3, 'array']);
    expectSearches(ip, out, 'ip');
    expect(sameBytes(save(ip), bytes('ip'))).toBe(true);
    expect(Float32Array.from([0, 5, 2999].flatMap((i) => Array.from(ip.reconstruct(i))))).toEqual(rows('ip_rec'));
    expect(asI64(out.ip_rmok)[0]).toBe(0n); // FAISS refuses too
    expect(() => ip.removeIds([1])).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));

    // 64-bit ids, hashtable direct map (pairs written back in FAISS's order)
    const hs = load<ix.IndexIVFFlat>(bytes('hs'));
    expect([hs.nlist, hs.nprobe, hs.directMap.type]).toEqual([64, 8, 'hashtable']);
    expectSearches(hs, out, 'hs');
    expect(sameBytes(save(hs), bytes('hs'))).toBe(true);
    expect(Float32Array.from([0, 1000, 2999].flatMap((i) => Array.from(hs.reconstruct(bigIds[i]))))).toEqual(rows('hs_rec'));
    const rm = bigIds.filter((_, i) => i % 5 === 0);
    expect(hs.removeIds(rm)).toBe(Number(asI64(out.hs_nrm)[0]));
    expect(hs.ntotal).toBe(nb - rm.length);
    expectSearches(hs, out, 'hs_rm');
    expect(Float32Array.from([1, 1001, 2998].flatMap((i) => Array.from(hs.reconstruct(bigIds[i]))))).toEqual(rows('hs_rec2'));
    expect(() => hs.reconstruct(bigIds[5])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));

    // 20 vectors in 64 lists: FAISS stores sparse list sizes ("sprs")
    const spBytes = bytes('sp');
    expect(Buffer.from(spBytes).includes(Buffer.from('sprs'))).toBe(true);
    const sp = load<ix.IndexIVFFlat>(spBytes);
    expect([sp.ntotal, sp.nprobe]).toEqual([20, 2]);
    expectSearches(sp, out, 'sp');
    expect(sameBytes(save(sp), spBytes)).toBe(true);
  });

  it('our indexes load in FAISS with our results and re-serialise in FAISS to our bytes', () => {
    const l2 = ours(32, 'l2');
    l2.addSync(xb);
    l2.nprobe = 6;
    const ip = ours(16, 'ip');
    ip.addSync(xb);
    ip.makeDirectMap();
    ip.nprobe = 2;
    const hs = ours(64, 'l2');
    hs.setDirectMapType('hashtable');
    hs.addWithIdsSync(xb, bigIds);
    hs.nprobe = 9;
    const cases = { l2, ip, hs } as const;
    const inputs: Record<string, ArrayBufferView> = { xq };
    for (const [name, index] of Object.entries(cases)) inputs[`${name}_file`] = save(index);
    const script = `
xq = load('xq', 'float32').reshape(-1, 32); k = ${k}
for name, other in [('l2', 17), ('ip', 9), ('hs', 30)]:
    index = faiss.deserialize_index(load(name + '_file', 'uint8'))
    save(name + '_np', np.array([index.nprobe, index.direct_map.type], dtype='int64'))
    for tag, npb in [('a', index.nprobe), ('b', other)]:
        keep = index.nprobe; index.nprobe = npb
        Dv, Iv = index.search(xq, k); save(name + '_D' + tag, Dv); save(name + '_I' + tag, Iv)
        index.nprobe = keep
    save(name + '_again', faiss.serialize_index(index))
    if name == 'ip': save('ip_rec', index.reconstruct(1234))
    if name == 'hs': save('hs_rec', index.reconstruct(int(${bigIds[2222]})))
`;
    const names = Object.keys(cases);
    const out = runFaiss1(script, inputs, [...names.flatMap((n) => [`${n}_np`, `${n}_Da`, `${n}_Ia`, `${n}_Db`, `${n}_Ib`, `${n}_again`]), 'ip_rec', 'hs_rec']);
    const others: Record<string, number> = { l2: 17, ip: 9, hs: 30 };
    for (const [name, index] of Object.entries(cases)) {
      expect(Array.from(asI64(out[`${name}_np`])).map(Number)).toEqual([index.nprobe, ix.DirectMapTypeCode[index.directMap.type]]);
      const a = index.searchSync(xq, k);
      expectSameResults(a.distances, a.labels, asF32(out[`${name}_Da`]), asI64(out[`${name}_Ia`]), k, 1e-5, `${name} (FAISS reads ours)`);
      const b = index.searchSync(xq, k, { nprobe: others[name] });
      expectSameResults(b.distances, b.labels, asF32(out[`${name}_Db`]), asI64(out[`${name}_Ib`]), k, 1e-5, `${name} nprobe ${others[name]}`);
      // FAISS keeps everything it read: its bytes are ours (a hashtable's pairs come back in FAISS's hash order)
      if (name !== 'hs') expect(sameBytes(new Uint8Array(out[`${name}_again`]), inputs[`${name}_file`] as Uint8Array), name).toBe(true);
      else expect(load<ix.IndexIVFFlat>(new Uint8Array(out.hs_again)).searchSync(xq, k)).toEqual(a);
    }
    expect(asF32(out.ip_rec)).toEqual(ip.reconstruct(1234));
    expect(asF32(out.hs_rec)).toEqual(hs.reconstruct(bigIds[2222]));
  });

  it('legacy IvFL / IvFl files load as FAISS loads them', () => {
    const index = ours(16, 'l2');
    index.addSync(xb);
    index.nprobe = 3;
    const rec = io.readIndex(save(index)) as io.IndexIVFFlatRecord;
    const files: Record<string, Uint8Array> = { IvFL: io.writeIndex({ ...rec, fourcc: 'IvFL' }), IvFl: io.writeIndex({ ...rec, fourcc: 'IvFl' }) };
    const script = `
xq = load('xq', 'float32').reshape(-1, 32)
for name in ['IvFL', 'IvFl']:
    index = faiss.deserialize_index(load(name + '_file', 'uint8'))
    save(name + '_again', faiss.serialize_index(index))
    Dv, Iv = index.search(xq, ${k}); save(name + '_D', Dv); save(name + '_I', Iv)
`;
    const out = runFaiss1(script, { xq, IvFL_file: files.IvFL, IvFl_file: files.IvFl }, ['IvFL', 'IvFl'].flatMap((n) => [`${n}_again`, `${n}_D`, `${n}_I`]));
    for (const name of ['IvFL', 'IvFl']) {
      const back = load<ix.IndexIVFFlat>(files[name]);
      expect(back.nprobe, name).toBe(3);
      expect(sameBytes(save(back), new Uint8Array(out[`${name}_again`])), name).toBe(true);
      const r = back.searchSync(xq, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D`]), asI64(out[`${name}_I`]), k, 1e-5, name);
    }
  });

  it('an IVF over an HNSW coarse quantizer (IVF32_HNSW16,Flat) loads through the HNSW mapping and writes back byte for byte', () => {
    const script = `
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32)
index = faiss.index_factory(32, 'IVF32_HNSW16,Flat'); index.train(xb); index.add(xb); index.nprobe = 5
save('hnsw', faiss.serialize_index(index))
Dv, Iv = index.search(xq, ${k}); save('hnsw_D', Dv); save('hnsw_I', Iv)
`;
    const out = runFaiss1(script, { xb, xq }, ['hnsw', 'hnsw_D', 'hnsw_I']);
    const bytes = new Uint8Array(out.hnsw);
    const index = faiss.deserialize_index(bytes) as faiss.IndexIVFFlat;
    expect(index).toBeInstanceOf(faiss.IndexIVFFlat);
    expect(index.quantizer).toBeInstanceOf(faiss.IndexHNSWFlat);
    expect(index.nprobe).toBe(5);
    const [D, I] = index.search(xq, k);
    expectSameResults(D, I, asF32(out.hnsw_D), asI64(out.hnsw_I), k, 1e-5, 'IVF32_HNSW16,Flat');
    expect(sameBytes(faiss.serialize_index(index), bytes)).toBe(true);
  });
});
