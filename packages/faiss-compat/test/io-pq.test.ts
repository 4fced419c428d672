/**
 * IndexPQ (IxPq, legacy IxPQ / IxPo) and IndexIVFPQ (IwPQ, legacy IvPQ) io
 * against FAISS 1.7.3: FAISS-written files load here and search as FAISS does
 * (IVF: at the stored nprobe and another), write back byte for byte,
 * reconstruct / remove_ids as FAISS; our indexes load in FAISS with our
 * results and re-serialise in FAISS to our bytes; legacy forms load as
 * FAISS loads them (same bytes written back).
 */
import * as ix from '@metalfaiss/indexes';
import * as io from '@metalfaiss/io';
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable } from './faiss-oracle';
import { d, expectSameResults, load, rand, runFaiss1, sameBytes, save } from './io-ivf-helpers';

const nb = 3000;
const nq = 30;
const k = 10;
const xb = rand(nb * d, 51);
const xq = rand(nq * d, 52);
const TOL = 1e-4;

/** IndexPQ: [name, M, nbits, metric (1 L2, 0 IP)] */
const PQ: [string, number, number, number][] = [
  ['pq8_l2', 8, 8, 1],
  ['pq8_ip', 16, 8, 0],
  ['pq4_l2', 8, 4, 1],
  ['pq6_ip', 8, 6, 0],
];
/** IndexIVFPQ: [name, nlist, M, nbits, metric, by_residual, other nprobe] */
const IVFPQ: [string, number, number, number, number, boolean, number][] = [
  ['ivfpq_l2', 32, 8, 8, 1, true, 12],
  ['ivfpq_ip', 16, 8, 8, 0, true, 7],
  ['ivfpq4_l2', 32, 16, 4, 1, true, 32],
  ['ivfpq_flat_l2', 16, 8, 8, 1, false, 5],
];
const NPROBE = 3;

function ourPQ([, M, nbits, metric]: (typeof PQ)[number]): ix.IndexPQ {
  const index = new ix.IndexPQ(d, M, nbits, metric as ix.MetricType);
  index.trainSync(xb);
  index.addSync(xb);
  return index;
}

function ourIVFPQ([, nlist, M, nbits, metric, byResidual]: (typeof IVFPQ)[number]): ix.IndexIVFPQ {
  const index = new ix.IndexIVFPQ(d, nlist, M, nbits, { metric: metric as ix.MetricType, byResidual });
  index.trainSync(xb);
  index.addSync(xb);
  index.nprobe = NPROBE;
  return index;
}

describe('IndexPQ / IndexIVFPQ records (ours)', () => {
  it('IndexPQ round trips with equal fields, results and bytes', () => {
    for (const c of PQ) {
      const index = ourPQ(c);
      index.polysemousHt = 17;
      const bytes = save(index);
      const back = load<ix.IndexPQ>(bytes);
      expect([back.pq.M, back.pq.nbits, back.metricType, back.ntotal, back.polysemousHt], c[0]).toEqual([c[1], c[2], c[3], nb, 17]);
      expect(back.searchSync(xq, k), c[0]).toEqual(index.searchSync(xq, k));
      expect(sameBytes(save(back), bytes), c[0]).toBe(true);
    }
  });

  it('IndexIVFPQ round trips; the precomputed table is rebuilt as after training', () => {
    const index = ourIVFPQ(IVFPQ[0]);
    const bytes = save(index);
    const back = load<ix.IndexIVFPQ>(bytes);
    expect([back.nprobe, back.byResidual, back.usePrecomputedTable]).toEqual([NPROBE, true, index.usePrecomputedTable]);
    expect(back.precomputedTable).toEqual(index.precomputedTable);
    expect(back.searchSync(xq, k)).toEqual(index.searchSync(xq, k));
    expect(sameBytes(save(back), bytes)).toBe(true);
    const untrained = new ix.IndexIVFPQ(d, 8, 4, 8, { metric: 'ip' });
    const u = load<ix.IndexIVFPQ>(save(untrained));
    expect([u.isTrained, u.pq.isTrained, u.metricType]).toEqual([false, false, ix.MetricType.INNER_PRODUCT]);
    expect(sameBytes(save(u), save(untrained))).toBe(true);
  });

  it('search types other than ST_PQ load but searching with them is UNSUPPORTED; bad records are refused', () => {
    const index = ourPQ(PQ[0]);
    const r = io.readIndex(save(index)) as io.IndexPQRecord;
    r.searchType = 4; // ST_polysemous
    const poly = faiss.mappingContext.fromRecord(r) as ix.IndexPQ;
    expect(poly.searchType).toBe(4);
    expect(sameBytes(io.writeIndex(faiss.mappingContext.toRecord(poly) as io.IndexRecord), io.writeIndex(r))).toBe(true);
    expect(() => poly.searchSync(xq, k)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    const r2 = io.readIndex(save(index)) as io.IndexPQRecord;
    r2.header.isTrained = false;
    expect(() => faiss.mappingContext.fromRecord(r2)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringMatching(/is_trained = false/) }));
    const r3 = io.readIndex(save(index)) as io.IndexPQRecord;
    r3.pq.centroids[5] = Number.POSITIVE_INFINITY;
    expect(() => faiss.mappingContext.fromRecord(r3)).toThrow(expect.objectContaining({ code: 'IO_FORMAT', message: expect.stringMatching(/IxPq.*finite/) }));
    const ivf = ourIVFPQ(IVFPQ[3]);
    const r4 = io.readIndex(save(ivf)) as io.IndexIVFPQRecord;
    r4.nprobe = 0;
    expect(() => faiss.mappingContext.fromRecord(r4)).toThrow(expect.objectContaining({ code: 'IO_FORMAT', message: expect.stringMatching(/IwPQ.*nprobe/) }));
  });
});

const faissWrites = `
import json
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32); k = ${k}
sel = np.arange(0, 3000, 4, dtype='int64')
for name, M, nbits, metric in json.loads(${JSON.stringify(JSON.stringify(PQ))}):
    index = faiss.IndexPQ(32, M, nbits, metric); index.train(xb); index.add(xb)
    save(name, faiss.serialize_index(index))
    Dv, Iv = index.search(xq, k); save(name + '_D', Dv); save(name + '_I', Iv)
    save(name + '_rec', np.stack([index.reconstruct(i) for i in [0, 17, 2999]]))
    save(name + '_nrm', np.array([index.remove_ids(sel)], dtype='int64'))
    save(name + '_rm', faiss.serialize_index(index))
for name, nlist, M, nbits, metric, res, other in json.loads(${JSON.stringify(JSON.stringify(IVFPQ))}):
    q = faiss.IndexFlatL2(32) if metric == 1 else faiss.IndexFlatIP(32)
    index = faiss.IndexIVFPQ(q, 32, nlist, M, nbits, metric); index.by_residual = res
    index.train(xb); index.add(xb); index.nprobe = ${NPROBE}
    index.make_direct_map()
    save(name, faiss.serialize_index(index))
    save(name + '_pt', np.array([index.use_precomputed_table], dtype='int64'))
    for tag, npb in [('a', ${NPROBE}), ('b', other)]:
        index.nprobe = npb; Dv, Iv = index.search(xq, k); save(name + '_D' + tag, Dv); save(name + '_I' + tag, Iv)
    index.nprobe = ${NPROBE}
    save(name + '_rec', np.stack([index.reconstruct(i) for i in [0, 17, 2999]]))
    save(name + '_rn', index.reconstruct_n(0, 3000))
    index.set_direct_map_type(faiss.DirectMap.NoMap)
    save(name + '_nrm', np.array([index.remove_ids(sel)], dtype='int64'))
    save(name + '_rm', faiss.serialize_index(index))
    Dv, Iv = index.search(xq, k); save(name + '_D2', Dv); save(name + '_I2', Iv)
`;

describe.skipIf(!faissAvailable())('IndexPQ / IndexIVFPQ interop with FAISS 1.7.3', () => {
  it('FAISS files load with FAISS results, write back byte for byte, and reconstruct / remove as FAISS', () => {
    const outputs = [
      ...PQ.flatMap(([n]) => [n, `${n}_D`, `${n}_I`, `${n}_rec`, `${n}_nrm`, `${n}_rm`]),
      ...IVFPQ.flatMap(([n]) => [n, `${n}_pt`, `${n}_Da`, `${n}_Ia`, `${n}_Db`, `${n}_Ib`, `${n}_rec`, `${n}_rn`, `${n}_nrm`, `${n}_rm`, `${n}_D2`, `${n}_I2`]),
    ];
    const out = runFaiss1(faissWrites, { xb, xq }, outputs);
    const sel = new BigInt64Array(nb / 4).map((_, i) => BigInt(4 * i));
    for (const [name, M, nbits, metric] of PQ) {
      const bytes = new Uint8Array(out[name]);
      const index = load<ix.IndexPQ>(bytes);
      expect([index.pq.M, index.pq.nbits, index.metricType, index.ntotal, index.polysemousHt], name).toEqual([M, nbits, metric, nb, nbits * M + 1]);
      const r = index.searchSync(xq, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D`]), asI64(out[`${name}_I`]), k, TOL, name);
      expect(sameBytes(save(index), bytes), name).toBe(true);
      expect(Float32Array.from([0, 17, 2999].flatMap((i) => Array.from(index.reconstruct(i)))), name).toEqual(asF32(out[`${name}_rec`]));
      expect(index.removeIds(sel), name).toBe(Number(asI64(out[`${name}_nrm`])[0]));
      expect(sameBytes(save(index), new Uint8Array(out[`${name}_rm`])), `${name} after remove_ids`).toBe(true);
    }
    for (const [name, nlist, M, nbits, metric, byResidual, other] of IVFPQ) {
      const bytes = new Uint8Array(out[name]);
      const index = load<ix.IndexIVFPQ>(bytes);
      expect([index.nlist, index.pq.M, index.pq.nbits, index.metricType, index.byResidual, index.nprobe, index.directMap.type], name).toEqual([
        nlist, M, nbits, metric, byResidual, NPROBE, 'array',
      ]);
      // FAISS's reader recomputes the table (use_precomputed_table 1 for L2 + residuals, else 0)
      expect(index.usePrecomputedTable, name).toBe(Number(asI64(out[`${name}_pt`])[0]));
      let r = index.searchSync(xq, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_Da`]), asI64(out[`${name}_Ia`]), k, TOL, `${name} stored nprobe`);
      r = index.searchSync(xq, k, { nprobe: other });
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_Db`]), asI64(out[`${name}_Ib`]), k, TOL, `${name} nprobe ${other}`);
      expect(sameBytes(save(index), bytes), name).toBe(true);
      const rec = Float32Array.from([0, 17, 2999].flatMap((i) => Array.from(index.reconstruct(i))));
      const frec = asF32(out[`${name}_rec`]);
      for (let i = 0; i < rec.length; i++) expect(rec[i], `${name} reconstruct`).toBeCloseTo(frec[i], 6);
      const rn = index.reconstructN(0, nb);
      const frn = asF32(out[`${name}_rn`]);
      let maxErr = 0;
      for (let i = 0; i < rn.length; i++) maxErr = Math.max(maxErr, Math.abs(rn[i] - frn[i]));
      expect(maxErr, `${name} reconstruct_n`).toBeLessThan(1e-6);
      expect(() => index.removeIds(sel)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' })); // array map, as FAISS
      index.setDirectMapType('none');
      expect(index.removeIds(sel), name).toBe(Number(asI64(out[`${name}_nrm`])[0]));
      expect(sameBytes(save(index), new Uint8Array(out[`${name}_rm`])), `${name} after remove_ids`).toBe(true);
      r = index.searchSync(xq, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D2`]), asI64(out[`${name}_I2`]), k, TOL, `${name} after remove_ids`);
    }
  });

  it('our indexes load in FAISS with our results and re-serialise in FAISS to our bytes', () => {
    const inputs: Record<string, ArrayBufferView> = { xq };
    const ours: Record<string, [ix.SearchResult, ix.SearchResult | null]> = {};
    for (const c of PQ) {
      const index = ourPQ(c);
      inputs[`${c[0]}_file`] = save(index);
      ours[c[0]] = [index.searchSync(xq, k), null];
    }
    for (const c of IVFPQ) {
      const index = ourIVFPQ(c);
      inputs[`${c[0]}_file`] = save(index);
      ours[c[0]] = [index.searchSync(xq, k), index.searchSync(xq, k, { nprobe: c[6] })];
    }
    const script = `
xq = load('xq', 'float32').reshape(-1, 32); k = ${k}
for name, other in ${JSON.stringify([...PQ.map((c) => [c[0], 0]), ...IVFPQ.map((c) => [c[0], c[6]])])}:
    index = faiss.deserialize_index(load(name + '_file', 'uint8'))
    Dv, Iv = index.search(xq, k); save(name + '_Da', Dv); save(name + '_Ia', Iv)
    if other:
        index.nprobe = other; Dv, Iv = index.search(xq, k); save(name + '_Db', Dv); save(name + '_Ib', Iv); index.nprobe = ${NPROBE}
    save(name + '_again', faiss.serialize_index(index))
`;
    const outputs = [
      ...PQ.flatMap(([n]) => [`${n}_Da`, `${n}_Ia`, `${n}_again`]),
      ...IVFPQ.flatMap(([n]) => [`${n}_Da`, `${n}_Ia`, `${n}_Db`, `${n}_Ib`, `${n}_again`]),
    ];
    const out = runFaiss1(script, inputs, outputs);
    for (const name of Object.keys(ours)) {
      const [a, b] = ours[name];
      expectSameResults(a.distances, a.labels, asF32(out[`${name}_Da`]), asI64(out[`${name}_Ia`]), k, TOL, `${name} (FAISS reads ours)`);
      if (b) expectSameResults(b.distances, b.labels, asF32(out[`${name}_Db`]), asI64(out[`${name}_Ib`]), k, TOL, `${name} other nprobe (FAISS reads ours)`);
      expect(sameBytes(new Uint8Array(out[`${name}_again`]), inputs[`${name}_file`] as Uint8Array), name).toBe(true);
    }
  });

  it('legacy IxPQ / IxPo / IvPQ files load as FAISS loads them (forced L2, default search parameters)', () => {
    const pqIp = ourPQ(PQ[1]); // inner product: the legacy forms turn it into L2
    const ivfpq = ourIVFPQ(IVFPQ[0]);
    const pqRec = io.readIndex(save(pqIp)) as io.IndexPQRecord;
    pqRec.polysemousHt = 33;
    const legacyPQ: io.IndexPQLegacyRecord = { fourcc: 'IxPQ', header: pqRec.header, pq: pqRec.pq, codes: pqRec.codes };
    const legacyPo: io.IndexPQRecord = { ...pqRec, fourcc: 'IxPo' };
    const legacyIv: io.IndexIVFPQRecord = { ...(io.readIndex(save(ivfpq)) as io.IndexIVFPQRecord), fourcc: 'IvPQ' };
    const files: Record<string, Uint8Array> = { IxPQ: io.writeIndex(legacyPQ), IxPo: io.writeIndex(legacyPo), IvPQ: io.writeIndex(legacyIv) };
    const inputs: Record<string, ArrayBufferView> = { xq };
    for (const [n, b] of Object.entries(files)) inputs[`${n}_file`] = b;
    const script = `
xq = load('xq', 'float32').reshape(-1, 32)
for name in ['IxPQ', 'IxPo', 'IvPQ']:
    index = faiss.deserialize_index(load(name + '_file', 'uint8'))
    save(name + '_again', faiss.serialize_index(index))
    Dv, Iv = index.search(xq, ${k}); save(name + '_D', Dv); save(name + '_I', Iv)
`;
    const out = runFaiss1(script, inputs, Object.keys(files).flatMap((n) => [`${n}_again`, `${n}_D`, `${n}_I`]));
    for (const name of Object.keys(files)) {
      const index = load(files[name]);
      expect(index.metricType, name).toBe(ix.MetricType.L2);
      expect(sameBytes(save(index), new Uint8Array(out[`${name}_again`])), name).toBe(true);
      const r = index.searchSync(xq, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D`]), asI64(out[`${name}_I`]), k, TOL, name);
    }
  });

  it('IVFPQ / IVFSQ nested in FAISS factory composites (PCA, IDMap2) load and write back byte for byte', () => {
    const script = `
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32)
for name, spec in [('pca', 'PCA16,IVF16,PQ8np'), ('idm', 'IDMap2,IVF16,SQ8')]:
    index = faiss.index_factory(32, spec); index.train(xb)
    if name == 'idm': index.add_with_ids(xb, np.arange(3000, dtype='int64') * 11 + 5)
    else: index.add(xb)
    faiss.extract_index_ivf(index).nprobe = 4
    save(name, faiss.serialize_index(index))
    Dv, Iv = index.search(xq, ${k}); save(name + '_D', Dv); save(name + '_I', Iv)
`;
    const out = runFaiss1(script, { xb, xq }, ['pca', 'pca_D', 'pca_I', 'idm', 'idm_D', 'idm_I']);
    for (const name of ['pca', 'idm']) {
      const bytes = new Uint8Array(out[name]);
      const index = faiss.deserialize_index(bytes);
      expect(index, name).toBeInstanceOf(name === 'pca' ? faiss.IndexPreTransform : faiss.IndexIDMap2);
      const ivf = faiss.extract_index_ivf(index) as faiss.IndexIVF;
      expect(ivf, name).toBeInstanceOf(name === 'pca' ? faiss.IndexIVFPQ : faiss.IndexIVFScalarQuantizer);
      expect(ivf.nprobe).toBe(4);
      const [D, I] = index.search(xq, k);
      expectSameResults(D, I, asF32(out[`${name}_D`]), asI64(out[`${name}_I`]), k, TOL, name);
      expect(sameBytes(faiss.serialize_index(index), bytes), name).toBe(true);
    }
  });
});
