/**
 * FAISS's random number generation for the transforms, reproduced bit for
 * bit: RandomGenerator (std::mt19937 seeded with `(unsigned int) seed`),
 * `float_randn` (Marsaglia's polar method over 1024 independently seeded
 * blocks) and `rand_perm`, which `fvecs_maybe_subsample` uses.
 */
const N = 624;

class Mt19937 {
  readonly #mt = new Uint32Array(N);
  #i = N;
  constructor(seed: number) {
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }
  next(): number {
    const mt = this.#mt;
    if (this.#i >= N) {
      for (let i = 0; i < N; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
        let v = mt[(i + 397) % N] ^ (y >>> 1);
        if (y & 1) v ^= 0x9908b0df;
        mt[i] = v >>> 0;
      }
      this.#i = 0;
    }
    let y = mt[this.#i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
  /** rand_int(): mt() & 0x7fffffff */
  randInt(): number {
    return this.next() & 0x7fffffff;
  }
  /** rand_double(): mt() / double(mt.max()) */
  randDouble(): number {
    return this.next() / 4294967295;
  }
}

/** The low 32 bits of a seed given as a JS integer or bigint, like `(unsigned int) seed`. */
function seed32(seed: number | bigint): number {
  return Number(BigInt.asUintN(32, BigInt(seed)));
}

/** FAISS's float_randn(x, n, seed): n standard normal float32 values. */
export function floatRandn(n: number, seed: number | bigint): Float32Array {
  const x = new Float32Array(n);
  const nblock = n < 1024 ? 1 : 1024;
  const rng0 = new Mt19937(seed32(seed));
  const a0 = rng0.randInt();
  const b0 = rng0.randInt();
  for (let j = 0; j < nblock; j++) {
    // a0 + j * b0 in int64, then truncated to unsigned int
    const rng = new Mt19937(Number(BigInt.asUintN(32, BigInt(a0) + BigInt(j) * BigInt(b0))));
    let a = 0;
    let b = 0;
    let s = 0;
    let state = 0;
    const istart = Math.floor((j * n) / nblock);
    const iend = Math.floor(((j + 1) * n) / nblock);
    for (let i = istart; i < iend; i++) {
      if (state === 0) {
        do {
          a = 2.0 * rng.randDouble() - 1;
          b = 2.0 * rng.randDouble() - 1;
          s = a * a + b * b;
        } while (s >= 1.0);
        x[i] = a * Math.sqrt((-2.0 * Math.log(s)) / s);
      } else {
        x[i] = b * Math.sqrt((-2.0 * Math.log(s)) / s);
      }
      state = 1 - state;
    }
  }
  return x;
}

/** FAISS's rand_perm(perm, n, seed) (1.7.3: rand_int(max) = mt() % max). */
export function randPerm(n: number, seed: number | bigint): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new Mt19937(seed32(seed));
  for (let i = 0; i + 1 < n; i++) {
    const i2 = i + (rng.next() % (n - i));
    const t = perm[i];
    perm[i] = perm[i2];
    perm[i2] = t;
  }
  return perm;
}

/**
 * FAISS's fvecs_maybe_subsample(d, &n, nmax, x, verbose, seed = 1234): when
 * n > nmax, the rows perm[0..nmax) of a random permutation; otherwise x itself.
 */
export function maybeSubsample(x: Float32Array, n: number, d: number, nmax: number, seed = 1234): { data: Float32Array; n: number } {
  if (n <= nmax) return { data: x, n };
  const perm = randPerm(n, seed);
  const out = new Float32Array(nmax * d);
  for (let i = 0; i < nmax; i++) out.set(x.subarray(perm[i] * d, (perm[i] + 1) * d), i * d);
  return { data: out, n: nmax };
}
