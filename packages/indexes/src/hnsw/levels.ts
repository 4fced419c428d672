/**
 * FAISS's HNSW level machinery, reproduced exactly so that the same seed
 * gives the same levels and insertion order as FAISS:
 *
 * - `defaultProbas(M)`: HNSW::set_default_probas(M, 1 / log(M)): level l gets
 *   probability exp(-l / mult) * (1 - exp(-1 / mult)) (computed as FAISS
 *   does: a float multiplier and float exponent, double exp, float result)
 *   until it drops below 1e-9; level 0 has 2M neighbour slots, others M.
 * - `RandomGenerator`: FAISS's RandomGenerator (std::mt19937 seeded with the
 *   seed, rand_float = mt() / float(mt.max())); the index's generator starts
 *   at seed 12345 (HNSW's constructor) and advances one draw per added node.
 * - `insertionOrder`: hnsw_add_vertices' bucket sort by level (highest level
 *   first) with each bucket shuffled by a RandomGenerator(789).
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';

const f32 = Math.fround;

/** The Mersenne Twister MT19937 (std::mt19937), 32-bit output. */
export class Mt19937 {
  readonly #mt = new Uint32Array(624);
  #index = 624;

  constructor(seed: number) {
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i, modulo 2^32
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  next(): number {
    const mt = this.#mt;
    if (this.#index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        let v = mt[(i + 397) % 624] ^ (y >>> 1);
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

  /** A copy with the same state (for add operations that may be rolled back). */
  clone(): Mt19937 {
    const c = new Mt19937(0);
    c.#mt.set(this.#mt);
    c.#index = this.#index;
    return c;
  }
}

/** FAISS's RandomGenerator over std::mt19937. */
export class RandomGenerator {
  readonly mt: Mt19937;
  constructor(seed: number | Mt19937) {
    this.mt = typeof seed === 'number' ? new Mt19937(seed) : seed;
  }
  /** mt() / float(mt.max()) in float32, as FAISS's rand_float */
  randFloat(): number {
    return f32(f32(this.mt.next()) / 4294967296);
  }
  /** mt() % max, as FAISS's rand_int(max) */
  randInt(max: number): number {
    return this.mt.next() % max;
  }
  clone(): RandomGenerator {
    return new RandomGenerator(this.mt.clone());
  }
}

export interface LevelTable {
  /** assign_probas: probability of each level */
  assignProbas: Float64Array;
  /** cum_nneighbor_per_level: [0, 2M, 3M, ...], one more entry than assignProbas */
  cum: Int32Array;
}

/** The largest M the graph kernels accept (2M neighbour slots at level 0). */
export const MAX_M = 512;

export function checkM(M: unknown, name = 'M'): number {
  if (typeof M !== 'number' || !Number.isInteger(M) || M < 2 || M > MAX_M) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected an integer in [2, ${MAX_M}] for ${name} (neighbours per node; level 0 has 2M), received ${describeValue(M)}`,
    );
  }
  return M;
}

/** FAISS's set_default_probas(M, 1 / log(M)). */
export function defaultProbas(M: number): LevelTable {
  checkM(M);
  const levelMult = f32(1 / Math.log(M));
  const probas: number[] = [];
  const cum: number[] = [0];
  let nn = 0;
  for (let level = 0; ; level++) {
    const a = f32(f32(-level) / levelMult);
    const b = f32(f32(-1) / levelMult);
    const proba = f32(Math.exp(a) * (1 - Math.exp(b)));
    if (proba < 1e-9) break;
    probas.push(proba);
    nn += level === 0 ? M * 2 : M;
    cum.push(nn);
  }
  return { assignProbas: Float64Array.from(probas), cum: Int32Array.from(cum) };
}

/** FAISS's HNSW::random_level: the level (0-based) of one new node. */
export function randomLevel(rng: RandomGenerator, assignProbas: Float64Array): number {
  let f = rng.randFloat();
  for (let level = 0; level < assignProbas.length; level++) {
    if (f < assignProbas[level]) return level;
    f = f32(f - assignProbas[level]);
  }
  return assignProbas.length - 1;
}

/**
 * hnsw_add_vertices' insertion order for nodes n0 .. n0 + n - 1: grouped by
 * level from the highest down, each group shuffled as FAISS does.
 * `levels[i]` is node i's level count (top level + 1).
 */
export function insertionOrder(levels: Int32Array, n0: number, n: number): Int32Array {
  const hist: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = levels[n0 + i] - 1;
    while (l >= hist.length) hist.push(0);
    hist[l]++;
  }
  const offsets = new Array<number>(hist.length + 1).fill(0);
  for (let i = 0; i < hist.length - 1; i++) offsets[i + 1] = offsets[i] + hist[i];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = levels[n0 + i] - 1;
    order[offsets[l]++] = n0 + i;
  }
  const rng2 = new RandomGenerator(789);
  let i1 = n;
  for (let l = hist.length - 1; l >= 0; l--) {
    const i0 = i1 - hist[l];
    for (let j = i0; j < i1; j++) {
      const s = j + rng2.randInt(i1 - j);
      const t = order[j];
      order[j] = order[s];
      order[s] = t;
    }
    i1 = i0;
  }
  // the kernels take levels highest first: reverse the bucket order, keep each bucket's shuffle
  const out = new Int32Array(n);
  let o = 0;
  let end = n;
  for (let l = hist.length - 1; l >= 0; l--) {
    const start = end - hist[l];
    out.set(order.subarray(start, end), o);
    o += hist[l];
    end = start;
  }
  return out;
}
