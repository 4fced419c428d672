/**
 * One compat IVF base: IndexIVFFlat, IndexIVFPQ and IndexIVFScalarQuantizer
 * (constructed, or wrapped after index_factory / deserialize_index) all
 * expose FAISS's IndexIVF surface from the same class.
 */
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { clustered, d } from './io-ivf-helpers';

const xb = clustered(3000, 1);
const xq = clustered(20, 2);
const nlist = 16;

const makers: Array<[string, (q: faiss.IndexFlatL2) => faiss.IndexIVF]> = [
  ['IndexIVFFlat', (q) => new faiss.IndexIVFFlat(q, d, nlist)],
  ['IndexIVFPQ', (q) => new faiss.IndexIVFPQ(q, d, nlist, 8, 4)],
  ['IndexIVFScalarQuantizer', (q) => new faiss.IndexIVFScalarQuantizer(q, d, nlist, faiss.ScalarQuantizer.QT_8bit)],
];

describe('faiss.IndexIVF is the base of every IVF codec', () => {
  it.each(makers)('%s: quantizer, invlists, cp, direct map, search_preassigned, merge_from, and the same after a round trip', (name, make) => {
    const q = new faiss.IndexFlatL2(d);
    const index = make(q);
    expect(index).toBeInstanceOf(faiss.IndexIVF);
    expect(index.constructor.name).toBe(name);
    expect(index.quantizer).toBe(q);
    index.cp.niter = 5;
    expect(index.cp.niter).toBe(5);
    index.train(xb);
    index.add(xb);
    index.nprobe = 4;
    let total = 0;
    for (let l = 0; l < nlist; l++) total += index.invlists.list_size(l);
    expect(total).toBe(3000);
    expect(index.invlists.get_codes(0).length).toBe(index.invlists.list_size(0) * index.code_size);
    const [Dq, Iq] = index.quantizer.search(xq, 4);
    const [D1, I1] = index.search_preassigned(xq, 5, Iq, Dq);
    const [D2, I2] = index.search(xq, 5);
    expect(I1).toEqual(I2);
    expect(D1).toEqual(D2);
    index.make_direct_map();
    expect(index.direct_map.type).toBe(faiss.DirectMap.Array);
    expect(index.reconstruct(7).length).toBe(d);
    // a wrapped copy (no constructor ran) has the same surface, its quantizer wrapped
    const again = faiss.deserialize_index(faiss.serialize_index(index)) as faiss.IndexIVF;
    expect(again).toBeInstanceOf(faiss.IndexIVF);
    expect(again.constructor.name).toBe(name);
    expect(again.quantizer.ntotal).toBe(nlist);
    expect(again.search(xq, 5)).toEqual(index.search(xq, 5));
    again.set_direct_map_type(faiss.DirectMap.NoMap);
    index.set_direct_map_type(faiss.DirectMap.NoMap);
    index.merge_from(again, 3000);
    expect(index.ntotal).toBe(6000);
    expect(again.ntotal).toBe(0);
    expect(() => index.merge_from(new faiss.IndexFlatL2(d) as never)).toThrow(/expected an IVF index for merge_from/);
  });
});
