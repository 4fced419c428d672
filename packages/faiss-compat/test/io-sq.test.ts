/**
 * IndexScalarQuantizer (IxSQ) and IndexIVFScalarQuantizer (IwSq, legacy
 * IwSQ / IvSQ) io against FAISS 1.7.3, for every qtype FAISS 1.7.3 knows
 * (IVF: several, with and without residuals), L2 and inner product:
 * FAISS-written files load here and search / reconstruct / remove_ids as
 * FAISS does (IVF: at the stored nprobe and another) and write back byte for
 * byte; our indexes load in FAISS with our results and FAISS re-serialises
 * them to our bytes.
 */
import * as ix from '@metalfaiss/indexes';
import * as io from '@metalfaiss/io';
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable } from './faiss-oracle';
import { clustered, d, expectSameResults, load, runFaiss1, sameBytes, save } from './io-ivf-helpers';

const nb = 3000;
const nq = 30;
const k = 10;
const xb = clustered(nb, 41);
const xq = clustered(nq, 42);
/** integer-valued data in [0, 255] for QT_8bit_direct */
const byteRange = (x: Float32Array) => x.map((v) => Math.min(255, Math.max(0, Math.round(v * 60 + 128))));
const xb8 = byteRange(xb);
const xq8 = byteRange(xq);

/** [name, qtype, metric (1 L2, 0 IP), rangestat, rangestat_arg] */
const CASES: [string, string, number, number, number][] = [
  ['q8_l2', 'QT_8bit', 1, 0, 0],
  ['q8_ip', 'QT_8bit', 0, 0, 0],
  ['q4_l2', 'QT_4bit', 1, 0, 0],
  ['q6_ip', 'QT_6bit', 0, 0, 0],
  ['q8u_l2', 'QT_8bit_uniform', 1, 0, 0],
  ['q4u_ip', 'QT_4bit_uniform', 0, 0, 0],
  ['fp16_l2', 'QT_fp16', 1, 0, 0],
  ['direct_l2', 'QT_8bit_direct', 1, 0, 0],
  ['q8ms_l2', 'QT_8bit', 1, 1, 2.5],
];
const dataOf = (name: string) => (name.startsWith('direct') ? [xb8, xq8] : [xb, xq]);

describe('IndexScalarQuantizer records (ours)', () => {
  it('round trip every qtype with equal fields, results and bytes', () => {
    for (const [name, qtype, metric, rangestat, arg] of CASES) {
      const [b, q] = dataOf(name);
      const index = new ix.IndexScalarQuantizer(d, qtype, { metric: metric as ix.MetricType, rangestat: rangestat as ix.RangeStat, rangestatArg: arg });
      index.trainSync(b);
      index.addSync(b);
      const bytes = save(index);
      const back = load<ix.IndexScalarQuantizer>(bytes);
      expect(back, name).toBeInstanceOf(ix.IndexScalarQuantizer);
      expect([back.sq.qtype, back.sq.rangestat, back.sq.rangestatArg, back.metricType, back.ntotal]).toEqual([index.sq.qtype, rangestat, Math.fround(arg), metric, nb]);
      expect(back.searchSync(q, k), name).toEqual(index.searchSync(q, k));
      expect(sameBytes(save(back), bytes), name).toBe(true);
    }
  });

  it('an untrained index round trips untrained; inconsistent records are refused', () => {
    const untrained = new ix.IndexScalarQuantizer(d, 'QT_8bit');
    const back = load<ix.IndexScalarQuantizer>(save(untrained));
    expect([back.isTrained, back.sq.trained.length]).toEqual([false, 0]);
    expect(sameBytes(save(back), save(untrained))).toBe(true);

    const index = new ix.IndexScalarQuantizer(d, 'QT_4bit');
    index.trainSync(xb);
    index.addSync(xb.subarray(0, 100 * d));
    const bytes = save(index);
    const r = io.readIndex(bytes) as io.IndexScalarQuantizerRecord;
    r.header.isTrained = false;
    expect(() => faiss.mappingContext.fromRecord(r)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringMatching(/is_trained = false/) }));
    const r2 = io.readIndex(bytes) as io.IndexScalarQuantizerRecord;
    r2.sq.trained[3] = Number.NaN;
    expect(() => faiss.mappingContext.fromRecord(r2)).toThrow(expect.objectContaining({ code: 'IO_FORMAT', message: expect.stringMatching(/IxSQ.*finite/) }));
    const r3 = io.readIndex(bytes) as io.IndexScalarQuantizerRecord;
    r3.codes = r3.codes.subarray(0, r3.codes.length - 16);
    expect(() => faiss.mappingContext.fromRecord(r3)).toThrow(expect.objectContaining({ code: 'IO_FORMAT' }));
  });
});

const faissWrites = `
import json
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32)
xb8 = load('xb8', 'float32').reshape(-1, 32); xq8 = load('xq8', 'float32').reshape(-1, 32)
cases = json.loads(${JSON.stringify(JSON.stringify(CASES))})
for name, qtype, metric, rs, arg in cases:
    b, q = (xb8, xq8) if name.startswith('direct') else (xb, xq)
    index = faiss.IndexScalarQuantizer(32, getattr(faiss.ScalarQuantizer, qtype), metric)
    index.sq.rangestat = rs; index.sq.rangestat_arg = arg
    index.train(b); index.add(b)
    save(name, faiss.serialize_index(index))
    Dv, Iv = index.search(q, ${k}); save(name + '_D', Dv); save(name + '_I', Iv)
    save(name + '_rec', np.stack([index.reconstruct(i) for i in [0, 17, 2999]]))
    save(name + '_nrm', np.array([index.remove_ids(np.arange(0, 3000, 3, dtype='int64'))], dtype='int64'))
    save(name + '_rm', faiss.serialize_index(index))
    Dv, Iv = index.search(q, ${k}); save(name + '_D2', Dv); save(name + '_I2', Iv)
`;

describe.skipIf(!faissAvailable())('IndexScalarQuantizer interop with FAISS 1.7.3', () => {
  it('FAISS files load with FAISS results, write back byte for byte, and reconstruct / remove as FAISS', () => {
    const names = CASES.map((c) => c[0]);
    const out = runFaiss1(faissWrites, { xb, xq, xb8, xq8 }, names.flatMap((n) => [n, `${n}_D`, `${n}_I`, `${n}_rec`, `${n}_nrm`, `${n}_rm`, `${n}_D2`, `${n}_I2`]));
    for (const [name, , metric, rangestat] of CASES) {
      const q = dataOf(name)[1];
      const bytes = new Uint8Array(out[name]);
      const index = load<ix.IndexScalarQuantizer>(bytes);
      expect([index.ntotal, index.metricType, index.sq.rangestat, index.isTrained], name).toEqual([nb, metric, rangestat, true]);
      let r = index.searchSync(q, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D`]), asI64(out[`${name}_I`]), k, 1e-4, name);
      expect(sameBytes(save(index), bytes), name).toBe(true);
      expect(Float32Array.from([0, 17, 2999].flatMap((i) => Array.from(index.reconstruct(i)))), name).toEqual(asF32(out[`${name}_rec`]));
      const sel = new BigInt64Array(nb / 3).map((_, i) => BigInt(3 * i));
      expect(index.removeIds(sel), name).toBe(Number(asI64(out[`${name}_nrm`])[0]));
      expect(sameBytes(save(index), new Uint8Array(out[`${name}_rm`])), `${name} after remove_ids`).toBe(true);
      r = index.searchSync(q, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D2`]), asI64(out[`${name}_I2`]), k, 1e-4, `${name} after remove_ids`);
    }
  });

  it('our indexes load in FAISS with our results and re-serialise in FAISS to our bytes', () => {
    const inputs: Record<string, ArrayBufferView> = { xq, xq8 };
    const ours: Record<string, ix.SearchResult> = {};
    for (const [name, qtype, metric, rangestat, arg] of CASES) {
      const [b, q] = dataOf(name);
      const index = new ix.IndexScalarQuantizer(d, qtype, { metric: metric as ix.MetricType, rangestat: rangestat as ix.RangeStat, rangestatArg: arg });
      index.trainSync(b.subarray(0, 2000 * d));
      index.addSync(b);
      inputs[`${name}_file`] = save(index);
      ours[name] = index.searchSync(q, k);
    }
    const script = `
xq = load('xq', 'float32').reshape(-1, 32); xq8 = load('xq8', 'float32').reshape(-1, 32)
for name in ${JSON.stringify(CASES.map((c) => c[0]))}:
    index = faiss.deserialize_index(load(name + '_file', 'uint8'))
    Dv, Iv = index.search(xq8 if name.startswith('direct') else xq, ${k}); save(name + '_D', Dv); save(name + '_I', Iv)
    save(name + '_again', faiss.serialize_index(index))
`;
    const names = CASES.map((c) => c[0]);
    const out = runFaiss1(script, inputs, names.flatMap((n) => [`${n}_D`, `${n}_I`, `${n}_again`]));
    for (const name of names) {
      const r = ours[name];
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D`]), asI64(out[`${name}_I`]), k, 1e-4, `${name} (FAISS reads ours)`);
      expect(sameBytes(new Uint8Array(out[`${name}_again`]), inputs[`${name}_file`] as Uint8Array), name).toBe(true);
    }
  });
});

/** IndexIVFScalarQuantizer: [name, nlist, qtype, metric (1 L2, 0 IP), by_residual, other nprobe] */
const IVFSQ: [string, number, string, number, boolean, number][] = [
  ['ivfsq8_l2_res', 32, 'QT_8bit', 1, true, 10],
  ['ivfsq8_ip', 16, 'QT_8bit', 0, false, 6],
  ['ivfsq4_l2', 32, 'QT_4bit', 1, false, 32],
  ['ivfsq6_l2_res', 32, 'QT_6bit', 1, true, 7],
  ['ivfsqfp16_ip_res', 16, 'QT_fp16', 0, true, 16],
  ['ivfsq8u_l2_res', 16, 'QT_8bit_uniform', 1, true, 5],
];
const NPROBE = 3;

function ourIVFSQ([, nlist, qtype, metric, byResidual]: (typeof IVFSQ)[number]): ix.IndexIVFScalarQuantizer {
  const index = new ix.IndexIVFScalarQuantizer(d, nlist, qtype, { metric: metric as ix.MetricType, byResidual });
  index.trainSync(xb);
  index.addSync(xb);
  index.nprobe = NPROBE;
  return index;
}

describe('IndexIVFScalarQuantizer records (ours)', () => {
  it('round trips with equal fields, results and bytes; untrained too', () => {
    for (const c of IVFSQ.slice(0, 2)) {
      const index = ourIVFSQ(c);
      const bytes = save(index);
      const back = load<ix.IndexIVFScalarQuantizer>(bytes);
      expect([back.sq.qtype, back.byResidual, back.metricType, back.nprobe, back.ntotal], c[0]).toEqual([index.sq.qtype, c[4], c[3], NPROBE, nb]);
      expect(back.searchSync(xq, k), c[0]).toEqual(index.searchSync(xq, k));
      expect(sameBytes(save(back), bytes), c[0]).toBe(true);
    }
    const untrained = new ix.IndexIVFScalarQuantizer(d, 8, 'QT_4bit', { byResidual: false });
    const u = load<ix.IndexIVFScalarQuantizer>(save(untrained));
    expect([u.isTrained, u.byResidual, u.sq.isTrained]).toEqual([false, false, false]);
    expect(sameBytes(save(u), save(untrained))).toBe(true);
  });
});

const faissIvfWrites = `
import json
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32); k = ${k}
sel = np.arange(0, 3000, 4, dtype='int64')
for name, nlist, qtype, metric, res, other in json.loads(${JSON.stringify(JSON.stringify(IVFSQ))}):
    q = faiss.IndexFlatL2(32) if metric == 1 else faiss.IndexFlatIP(32)
    index = faiss.IndexIVFScalarQuantizer(q, 32, nlist, getattr(faiss.ScalarQuantizer, qtype), metric, res)
    index.train(xb); index.add(xb); index.nprobe = ${NPROBE}
    index.make_direct_map()
    save(name, faiss.serialize_index(index))
    for tag, npb in [('a', ${NPROBE}), ('b', other)]:
        index.nprobe = npb; Dv, Iv = index.search(xq, k); save(name + '_D' + tag, Dv); save(name + '_I' + tag, Iv)
    index.nprobe = ${NPROBE}
    save(name + '_rn', index.reconstruct_n(0, 3000))
    index.set_direct_map_type(faiss.DirectMap.NoMap)
    save(name + '_nrm', np.array([index.remove_ids(sel)], dtype='int64'))
    save(name + '_rm', faiss.serialize_index(index))
    Dv, Iv = index.search(xq, k); save(name + '_D2', Dv); save(name + '_I2', Iv)
`;

describe.skipIf(!faissAvailable())('IndexIVFScalarQuantizer interop with FAISS 1.7.3', () => {
  it('FAISS files load with FAISS results, write back byte for byte, and reconstruct / remove as FAISS', () => {
    const out = runFaiss1(
      faissIvfWrites,
      { xb, xq },
      IVFSQ.flatMap(([n]) => [n, `${n}_Da`, `${n}_Ia`, `${n}_Db`, `${n}_Ib`, `${n}_rn`, `${n}_nrm`, `${n}_rm`, `${n}_D2`, `${n}_I2`]),
    );
    const sel = new BigInt64Array(nb / 4).map((_, i) => BigInt(4 * i));
    for (const [name, nlist, qtype, metric, byResidual, other] of IVFSQ) {
      const bytes = new Uint8Array(out[name]);
      const index = load<ix.IndexIVFScalarQuantizer>(bytes);
      expect([index.nlist, index.sq.qtypeName, index.metricType, index.byResidual, index.nprobe, index.directMap.type], name).toEqual([
        nlist, qtype, metric, byResidual, NPROBE, 'array',
      ]);
      let r = index.searchSync(xq, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_Da`]), asI64(out[`${name}_Ia`]), k, 1e-4, `${name} stored nprobe`);
      r = index.searchSync(xq, k, { nprobe: other });
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_Db`]), asI64(out[`${name}_Ib`]), k, 1e-4, `${name} nprobe ${other}`);
      expect(sameBytes(save(index), bytes), name).toBe(true);
      const rn = index.reconstructN(0, nb);
      const frn = asF32(out[`${name}_rn`]);
      let maxErr = 0;
      for (let i = 0; i < rn.length; i++) maxErr = Math.max(maxErr, Math.abs(rn[i] - frn[i]));
      expect(maxErr, `${name} reconstruct_n`).toBeLessThan(1e-6);
      expect(index.reconstruct(1234), name).toEqual(rn.subarray(1234 * d, 1235 * d));
      expect(() => index.removeIds(sel)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' })); // array map, as FAISS
      index.setDirectMapType('none');
      expect(index.removeIds(sel), name).toBe(Number(asI64(out[`${name}_nrm`])[0]));
      expect(sameBytes(save(index), new Uint8Array(out[`${name}_rm`])), `${name} after remove_ids`).toBe(true);
      r = index.searchSync(xq, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D2`]), asI64(out[`${name}_I2`]), k, 1e-4, `${name} after remove_ids`);
    }
  });

  it('our indexes load in FAISS with our results and re-serialise in FAISS to our bytes', () => {
    const inputs: Record<string, ArrayBufferView> = { xq };
    const ours: Record<string, [ix.SearchResult, ix.SearchResult]> = {};
    for (const c of IVFSQ) {
      const index = ourIVFSQ(c);
      inputs[`${c[0]}_file`] = save(index);
      ours[c[0]] = [index.searchSync(xq, k), index.searchSync(xq, k, { nprobe: c[5] })];
    }
    const script = `
xq = load('xq', 'float32').reshape(-1, 32); k = ${k}
for name, other in ${JSON.stringify(IVFSQ.map((c) => [c[0], c[5]]))}:
    index = faiss.deserialize_index(load(name + '_file', 'uint8'))
    Dv, Iv = index.search(xq, k); save(name + '_Da', Dv); save(name + '_Ia', Iv)
    index.nprobe = other; Dv, Iv = index.search(xq, k); save(name + '_Db', Dv); save(name + '_Ib', Iv); index.nprobe = ${NPROBE}
    save(name + '_again', faiss.serialize_index(index))
`;
    const out = runFaiss1(script, inputs, IVFSQ.flatMap(([n]) => [`${n}_Da`, `${n}_Ia`, `${n}_Db`, `${n}_Ib`, `${n}_again`]));
    for (const [name] of IVFSQ) {
      const [a, b] = ours[name];
      expectSameResults(a.distances, a.labels, asF32(out[`${name}_Da`]), asI64(out[`${name}_Ia`]), k, 1e-4, `${name} (FAISS reads ours)`);
      expectSameResults(b.distances, b.labels, asF32(out[`${name}_Db`]), asI64(out[`${name}_Ib`]), k, 1e-4, `${name} other nprobe (FAISS reads ours)`);
      expect(sameBytes(new Uint8Array(out[`${name}_again`]), inputs[`${name}_file`] as Uint8Array), name).toBe(true);
    }
  });

  it('legacy IwSQ / IvSQ files load as FAISS loads them (by_residual implied)', () => {
    const rec = io.readIndex(save(ourIVFSQ(IVFSQ[0]))) as io.IndexIVFScalarQuantizerRecord;
    const files: Record<string, Uint8Array> = { IwSQ: io.writeIndex({ ...rec, fourcc: 'IwSQ' }), IvSQ: io.writeIndex({ ...rec, fourcc: 'IvSQ' }) };
    const script = `
xq = load('xq', 'float32').reshape(-1, 32)
for name in ['IwSQ', 'IvSQ']:
    index = faiss.deserialize_index(load(name + '_file', 'uint8'))
    save(name + '_again', faiss.serialize_index(index))
    Dv, Iv = index.search(xq, ${k}); save(name + '_D', Dv); save(name + '_I', Iv)
`;
    const out = runFaiss1(script, { xq, IwSQ_file: files.IwSQ, IvSQ_file: files.IvSQ }, ['IwSQ', 'IvSQ'].flatMap((n) => [`${n}_again`, `${n}_D`, `${n}_I`]));
    for (const name of ['IwSQ', 'IvSQ']) {
      const index = load<ix.IndexIVFScalarQuantizer>(files[name]);
      expect(index.byResidual, name).toBe(true);
      expect(sameBytes(save(index), new Uint8Array(out[`${name}_again`])), name).toBe(true);
      const r = index.searchSync(xq, k);
      expectSameResults(r.distances, r.labels, asF32(out[`${name}_D`]), asI64(out[`${name}_I`]), k, 1e-4, name);
    }
  });
});
