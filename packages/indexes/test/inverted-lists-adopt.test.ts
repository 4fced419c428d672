/**
 * ArrayInvertedLists.adoptEntries: lists that view a shared buffer (the
 * buffer a FAISS file was read into) are never written in place. Adds,
 * updates, grows and removals copy the list first, so the shared bytes, other
 * lists viewing them and earlier snapshots stay unchanged.
 */
import { describe, expect, it } from 'vitest';
import { ArrayInvertedLists, IndexFlatL2, IndexIVFFlat } from '../src';
import { rng } from './helpers';

function code(err: () => unknown): string | undefined {
  try {
    err();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** One buffer laid out as FAISS stores lists: per list, n * codeSize code bytes then n ids. */
function shared(sizes: number[], codeSize: number): { buf: Uint8Array; views: { codes: Uint8Array; ids: BigInt64Array }[] } {
  const total = sizes.reduce((s, n) => s + n * (codeSize + 8), 0);
  const buf = new Uint8Array(total);
  const views: { codes: Uint8Array; ids: BigInt64Array }[] = [];
  let p = 0;
  let id = 100n;
  for (const n of sizes) {
    const codes = buf.subarray(p, p + n * codeSize);
    for (let i = 0; i < codes.length; i++) codes[i] = (p + i * 7) & 0xff;
    const ids = new BigInt64Array(buf.buffer, p + n * codeSize, n);
    for (let i = 0; i < n; i++) ids[i] = id++;
    views.push({ codes, ids });
    p += n * (codeSize + 8);
  }
  return { buf, views };
}

describe('ArrayInvertedLists.adoptEntries', () => {
  it('serves the adopted views without copying', () => {
    const { buf, views } = shared([3, 0, 5], 8);
    const lists = new ArrayInvertedLists(3, 8);
    views.forEach((v, i) => lists.adoptEntries(i, v.ids, v.codes));
    expect(lists.computeNtotal()).toBe(8);
    expect(lists.listSize(2)).toBe(5);
    expect(lists.codes(2).buffer).toBe(buf.buffer);
    expect(lists.ids(0).buffer).toBe(buf.buffer);
    expect(Array.from(lists.ids(2))).toEqual([103n, 104n, 105n, 106n, 107n]);
    expect(lists.getSingleCode(0, 1)).toEqual(views[0].codes.slice(8, 16));
    expect(lists.memoryBytes()).toBe(buf.byteLength);
  });

  it('adds, updates, grows, shrinks and merges never write into the shared buffer', () => {
    const { buf, views } = shared([4, 6, 2], 8);
    const before = buf.slice();
    const a = new ArrayInvertedLists(3, 8);
    const b = new ArrayInvertedLists(3, 8);
    views.forEach((v, i) => {
      a.adoptEntries(i, v.ids, v.codes);
      b.adoptEntries(i, v.ids, v.codes);
    });
    const snap = a.snapshot();
    const snapCodes = snap.codes.map((c, i) => c.slice(0, snap.sizes[i] * 8));
    a.addEntries(0, BigInt64Array.of(1n, 2n), new Uint8Array(16).fill(9));
    a.updateEntries(1, 2, BigInt64Array.of(7n), new Uint8Array(8).fill(5));
    a.resize(2, 1);
    a.resize(2, 3); // grows past the truncation: the new entries read as zeros, in a fresh buffer
    expect(a.getSingleId(2, 2)).toBe(0n);
    a.addEntry(2, 42n, new Uint8Array(8).fill(1));
    const other = new ArrayInvertedLists(3, 8);
    other.addEntries(1, BigInt64Array.of(77n), new Uint8Array(8).fill(3));
    a.mergeFrom(other, 0n);
    expect(buf).toEqual(before);
    // b still sees the file's entries, a its own
    views.forEach((v, i) => {
      expect(b.codes(i)).toEqual(v.codes);
      expect(Array.from(b.ids(i))).toEqual(Array.from(v.ids));
    });
    expect(a.listSize(0)).toBe(6);
    expect(Array.from(a.ids(0).subarray(4))).toEqual([1n, 2n]);
    expect(a.getSingleId(1, 2)).toBe(7n);
    expect(a.getSingleId(1, 6)).toBe(77n);
    expect(a.listSize(2)).toBe(4);
    // the snapshot taken before the changes is unchanged
    snapCodes.forEach((c, i) => expect(snap.codes[i].subarray(0, snap.sizes[i] * 8)).toEqual(c));
  });

  it('copies float codes that are not 4-byte aligned (the kernels read them in place)', () => {
    const raw = new Uint8Array(1 + 2 * 16);
    for (let i = 0; i < raw.length; i++) raw[i] = i;
    const codes = raw.subarray(1);
    const lists = new ArrayInvertedLists(1, 16);
    lists.adoptEntries(0, BigInt64Array.of(5n, 6n), codes);
    expect(lists.codes(0).byteOffset % 4).toBe(0);
    expect(lists.codes(0)).toEqual(codes);
    // byte codes (code size not a multiple of 4) stay views
    const odd = new ArrayInvertedLists(1, 3);
    odd.adoptEntries(0, BigInt64Array.of(1n), raw.subarray(1, 4));
    expect(odd.codes(0).buffer).toBe(raw.buffer);
  });

  it('refuses a non-empty list and bad arrays, leaving the lists unchanged', () => {
    const lists = new ArrayInvertedLists(2, 4);
    lists.addEntries(0, BigInt64Array.of(1n), new Uint8Array(4));
    expect(code(() => lists.adoptEntries(0, BigInt64Array.of(2n), new Uint8Array(4)))).toBe('INVALID_ARGUMENT');
    expect(code(() => lists.adoptEntries(1, BigInt64Array.of(2n), new Uint8Array(5)))).toBe('DIMENSION_MISMATCH');
    expect(code(() => lists.adoptEntries(1, [2n] as unknown as BigInt64Array, new Uint8Array(4)))).toBe('INVALID_ARGUMENT');
    expect(code(() => lists.adoptEntries(2, BigInt64Array.of(2n), new Uint8Array(4)))).toBe('INVALID_ARGUMENT');
    expect(lists.computeNtotal()).toBe(1);
    expect(lists.listSize(1)).toBe(0);
  });

  it('an IVF index over adopted lists searches like one built by adds, and adding to it leaves the buffer alone', () => {
    const d = 8;
    const nlist = 4;
    const r = rng(7);
    const n = 400;
    const x = new Float32Array(n * d);
    for (let i = 0; i < x.length; i++) x[i] = r();
    const built = new IndexIVFFlat(d, nlist, { quantizer: new IndexFlatL2(d) });
    built.trainSync(x);
    built.addSync(x);
    // lay the built lists out in one buffer, as a file would, and adopt them
    const sizes = Array.from({ length: nlist }, (_, l) => built.invlists.listSize(l));
    const { buf, views } = shared(sizes, d * 4);
    views.forEach((v, l) => {
      v.codes.set(built.invlists.codes(l));
      v.ids.set(built.invlists.ids(l));
    });
    const lists = new ArrayInvertedLists(nlist, d * 4);
    views.forEach((v, l) => lists.adoptEntries(l, v.ids, v.codes));
    const adopted = new IndexIVFFlat(d, nlist, { quantizer: built.quantizer });
    adopted.replaceInvlists(lists);
    built.nprobe = adopted.nprobe = 2;
    const q = x.subarray(0, 10 * d);
    expect(adopted.searchSync(q, 5)).toEqual(built.searchSync(q, 5));
    const before = buf.slice();
    adopted.addSync(x.subarray(0, 50 * d));
    built.addSync(x.subarray(0, 50 * d));
    expect(buf).toEqual(before);
    expect(adopted.searchSync(q, 5)).toEqual(built.searchSync(q, 5));
  });
});
