/** Test helpers: a seeded PRNG and an independent float64 brute-force oracle. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomVectors(n: number, d: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = r() * 2 - 1;
  return x;
}

/** Exact k-NN in float64: [distances, labels] per query, ties to the lower index. */
export function bruteForce(xq: Float32Array, xb: Float32Array, d: number, k: number, metric: 'l2' | 'ip') {
  const nq = xq.length / d;
  const nb = xb.length / d;
  const D: number[][] = [];
  const I: number[][] = [];
  for (let q = 0; q < nq; q++) {
    const scores: [number, number][] = [];
    for (let b = 0; b < nb; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const x = xq[q * d + j];
        const y = xb[b * d + j];
        s += metric === 'l2' ? (x - y) * (x - y) : x * y;
      }
      scores.push([s, b]);
    }
    scores.sort((a, b) => (metric === 'l2' ? a[0] - b[0] : b[0] - a[0]) || a[1] - b[1]);
    const top = scores.slice(0, k);
    D.push(top.map((t) => t[0]));
    I.push(top.map((t) => t[1]));
  }
  return { D, I };
}
