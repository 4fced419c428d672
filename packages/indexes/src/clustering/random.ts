/**
 * FAISS's random generator (faiss/utils/random.h: a std::mt19937 seeded with
 * `(unsigned int) seed`) and `rand_perm`, reproduced exactly so that k-means
 * picks the same initial centroids and the same training subsample as FAISS
 * for the same seed.
 */

const N = 624;
const M = 397;

/** The 32-bit Mersenne Twister (std::mt19937), bit for bit. */
export class MersenneTwister {
  readonly #mt = new Uint32Array(N);
  #index = N;

  /** @param seed any integer; reduced modulo 2^32 like C++'s `(unsigned int) seed` */
  constructor(seed: number | bigint) {
    const s = Number(BigInt.asUintN(32, BigInt(seed)));
    const mt = this.#mt;
    mt[0] = s;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0; // 1812433253 * prev + i (mod 2^32)
    }
  }

  /** The next 32-bit output (mt()). */
  next(): number {
    const mt = this.#mt;
    if (this.#index >= N) {
      for (let i = 0; i < N; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
        let v = mt[(i + M) % N] ^ (y >>> 1);
        if (y & 1) v ^= 0x9908b0df;
        mt[i] = v >>> 0;
      }
      this.#index = 0;
    }
    let y = mt[this.#index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** FAISS's RandomGenerator::rand_int(max): mt() % max. */
  randInt(max: number): number {
    return this.next() % max;
  }

  /** FAISS's RandomGenerator::rand_float(): float(mt()) / float(mt.max()), in float32 arithmetic. */
  randFloat(): number {
    // float(4294967295) rounds to 2^32, so the float division is exact
    return Math.fround(this.next()) / 4294967296;
  }
}

/** FAISS's rand_perm(perm, n, seed): a random permutation of 0..n-1. */
export function randPerm(n: number, seed: number | bigint): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new MersenneTwister(seed);
  for (let i = 0; i + 1 < n; i++) {
    const i2 = i + rng.randInt(n - i);
    const t = perm[i];
    perm[i] = perm[i2];
    perm[i2] = t;
  }
  return perm;
}
