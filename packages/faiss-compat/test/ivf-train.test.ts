/**
 * faiss.IndexIVF training options through faiss-compat: `train_async(x,
 * { onProgress })` reports the coarse quantizer's k-means iterations and
 * `index.verbose = true` prints FAISS's training lines, the k-means ones
 * (subsampling of more than 256 * nlist vectors) included.
 */
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';

function data(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296;
  }
  return x;
}

const d = 8;
const nlist = 8;
const xt = data(2100, d, 3); // > 256 * 8 = 2048: subsampled

describe('faiss.IndexIVF training', () => {
  it('train_async(x, { onProgress }) reports every k-means iteration of the coarse quantizer', async () => {
    const index = new faiss.IndexIVFFlat(new faiss.IndexFlatL2(d), d, nlist);
    index.cp.niter = 4;
    const steps: string[] = [];
    await index.train_async(xt, { onProgress: (p) => steps.push(`${p.step}:${p.done}/${p.total}`) });
    expect(index.is_trained).toBe(true);
    expect(steps).toEqual(['coarse quantizer:1/5', 'coarse quantizer:2/5', 'coarse quantizer:3/5', 'coarse quantizer:4/5', 'codec:4/5', 'done:5/5']);
    expect(index.quantizer.ntotal).toBe(nlist);
  });

  it('verbose prints the k-means lines of the coarse quantizer, with the subsampling', () => {
    const index = faiss.index_factory(d, `IVF${nlist},Flat`) as faiss.IndexIVFFlat;
    index.verbose = true;
    index.cp.niter = 2;
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stdout.write;
    try {
      index.train(xt);
    } finally {
      process.stdout.write = write;
    }
    expect(out).toContain(`Training level-1 quantizer on 2100 vectors in ${d}D`);
    expect(out).toContain('Sampling a subset of 2048 / 2100 for training');
    expect(out).toMatch(/Iteration 1 \(/);
  });
});
