/**
 * IVF indexes read from a file own the buffer the lists were read into:
 * the lists are views of it (no per-list copies), the caller's bytes are
 * never shared, and adds / removals after the read copy a list before
 * writing (copy-on-write), so two indexes read from one record, or the
 * record itself, never see each other's changes. Covers IVF-Flat, IVF-PQ
 * (byte codes, ids aligned) and IVF-PQ with an odd code size (code size 4: some ids spilled).
 */
import * as ix from '@metalfaiss/indexes';
import * as io from '@metalfaiss/io';
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { clustered, d, load, save } from './io-ivf-helpers';

const nb = 2000;
const xb = clustered(nb, 41);
const xq = clustered(20, 42);

function built(kind: 'flat' | 'pq8' | 'pq5'): ix.IndexIVF {
  const q = new ix.IndexFlatL2(d);
  const index =
    kind === 'flat'
      ? new ix.IndexIVFFlat(d, 8, { quantizer: q })
      : new ix.IndexIVFPQ(d, 8, kind === 'pq8' ? 8 : 4, 8, { quantizer: q });
  index.trainSync(xb);
  index.addSync(xb);
  index.nprobe = 3;
  return index;
}

describe.each(['flat', 'pq8'] as const)('IVF %s read from a file', (kind) => {
  it('lists view one buffer; the caller bytes are not shared; later adds copy first', () => {
    const src = built(kind);
    const bytes = save(src);
    const copy = bytes.slice();
    const a = load<ix.IndexIVF>(bytes);
    // all lists view one buffer that is not the caller's
    const buffers = new Set<ArrayBufferLike>();
    for (let l = 0; l < a.nlist; l++) if (a.invlists.listSize(l) > 0) buffers.add(a.invlists.codes(l).buffer);
    expect(buffers.size).toBe(1);
    expect(buffers.has(bytes.buffer)).toBe(false);
    const before = a.searchSync(xq, 5);
    expect(before).toEqual(src.searchSync(xq, 5));
    bytes.fill(0x55);
    expect(a.searchSync(xq, 5)).toEqual(before);
    expect(save(a)).toEqual(copy);

    // two indexes from one record share its buffer; changing one leaves the other and the record alone
    const rec = io.readIndex(copy);
    const b = faiss.mappingContext.fromRecord(rec) as ix.IndexIVF;
    const c = faiss.mappingContext.fromRecord(rec) as ix.IndexIVF;
    b.addSync(xb.subarray(0, 100 * d));
    b.removeIds(new ix.IDSelectorRange(0n, 50n));
    expect(io.writeIndex(rec)).toEqual(copy);
    expect(save(c)).toEqual(copy);
    expect(c.searchSync(xq, 5)).toEqual(before);
    expect(b.ntotal).toBe(nb + 100 - 50);
  });
});

describe('IVF-PQ with code size 4 (some ids not 8-byte aligned in the file)', () => {
  it('reads back byte for byte and searches as the original', () => {
    const src = built('pq5');
    expect(src.codeSize % 8).not.toBe(0);
    const bytes = save(src);
    const back = load<ix.IndexIVF>(bytes);
    expect(back.searchSync(xq, 5)).toEqual(src.searchSync(xq, 5));
    expect(save(back)).toEqual(bytes);
    back.addSync(xb.subarray(0, 10 * d));
    expect(back.ntotal).toBe(nb + 10);
  });
});
