/**
 * HnswGraph: the graph an HNSW index owns, in FAISS's layout (the fields of
 * FAISS's `HNSW` struct: assign_probas, cum_nneighbor_per_level, levels,
 * offsets, neighbors, entry_point, max_level, efConstruction, efSearch), plus
 * the state of its level generator.
 *
 * Consistency under concurrent async calls. A search reads a snapshot: the
 * buffers and the (ntotal, entry point, max level) of the moment it started.
 * `levels` and `offsets` only ever grow (entries past ntotal are invisible to
 * every snapshot), so new nodes are written past the end in place. Neighbour
 * lists of existing nodes are rewritten by insertion, so an add works on a
 * copy of `neighbors` whenever a search may be reading it (every async add,
 * and a sync add while an async search is in flight), and the copy is
 * installed in one step when the add completes. A running search therefore
 * never sees a torn list, and the buffers it reads stay alive (pinned by its
 * native worker) until it ends. An aborted or failed add installs nothing:
 * the graph, and the level generator, are exactly as before.
 */
import { MetalFaissError, describeValue, type HnswGraphArrays } from '@metalfaiss/metal-kernels';
import { RandomGenerator, checkM, defaultProbas, insertionOrder, randomLevel } from './levels';
import { largeArray } from './core';

/** FAISS's HNSW struct, field for field (what a file holds). */
export interface HnswParts {
  assignProbas: Float64Array;
  cumNneighborPerLevel: Int32Array;
  /** ntotal entries: levels a node belongs to (top level + 1) */
  levels: Int32Array;
  /** ntotal + 1 entries */
  offsets: BigUint64Array | BigInt64Array;
  neighbors: Int32Array;
  entryPoint: number;
  maxLevel: number;
  efConstruction: number;
  efSearch: number;
  /** legacy FAISS field (1.7.3 writes 1); kept for round trips, not used */
  upperBeam?: number;
}

/** An insertion in progress: working buffers (a copy where needed) and the nodes to insert. */
export interface HnswAddWork {
  graph: HnswGraphArrays;
  /** node ids in insertion order (FAISS's order) */
  order: Int32Array;
  n0: number;
  n: number;
  rng: RandomGenerator;
  generation: number;
}

function growCapacity(current: number, need: number): number {
  return Math.max(need, Math.min(Math.ceil(current * 1.5), need + (1 << 24)));
}

export class HnswGraph {
  /** FAISS's efConstruction: size of the candidate list while inserting */
  efConstruction = 40;
  /** FAISS's efSearch: default candidate-queue size of a search (raised to k when smaller) */
  efSearch = 16;
  /** FAISS's search_bounded_queue */
  searchBoundedQueue = true;
  /** FAISS's check_relative_distance */
  checkRelativeDistance = true;
  /** FAISS's upper_beam (kept for files; searches use the greedy descent) */
  upperBeam = 1;

  #assignProbas: Float64Array;
  #cum: Int32Array;
  #levels: Int32Array = new Int32Array(0);
  #offsets: BigInt64Array = new BigInt64Array(1);
  #neighbors: Int32Array = new Int32Array(0);
  #edges: Float32Array | null;
  #withEdges: boolean;
  #ntotal = 0;
  #entryPoint = -1;
  #maxLevel = -1;
  #rng = new RandomGenerator(12345);
  #readers = 0;
  #generation = 0;

  /**
   * @param M neighbours per node (2M at level 0), 2..512
   * @param withEdgeDistances keep each edge's distance next to it (flat storage: saves recomputing them on insertion)
   */
  constructor(M: number, withEdgeDistances = false) {
    const t = defaultProbas(checkM(M));
    this.#assignProbas = t.assignProbas;
    this.#cum = t.cum;
    this.#withEdges = withEdgeDistances;
    this.#edges = withEdgeDistances ? new Float32Array(0) : null;
  }

  /**
   * A graph from FAISS's fields (e.g. read from a file), checked in full:
   * level table, offsets, every neighbour id, entry point. `ntotal` must be
   * the storage's vector count.
   * @throws MetalFaissError IO_FORMAT naming the first inconsistency
   */
  static fromParts(parts: HnswParts, ntotal: number, withEdgeDistances = false): HnswGraph {
    const fail = (what: string): never => {
      throw new MetalFaissError('IO_FORMAT', `inconsistent HNSW graph: ${what}`);
    };
    if (typeof parts !== 'object' || parts === null) fail(`expected an object of HNSW fields, received ${describeValue(parts)}`);
    const cum = parts.cumNneighborPerLevel;
    const probas = parts.assignProbas;
    if (!(cum instanceof Int32Array) || cum.length < 2 || cum.length > 64) fail(`expected 2..64 cum_nneighbor_per_level entries, received ${describeValue(cum)}`);
    if (!(probas instanceof Float64Array)) fail(`expected a Float64Array for assign_probas, received ${describeValue(probas)}`);
    if (cum[0] !== 0) fail(`cum_nneighbor_per_level[0] = ${cum[0]}, expected 0`);
    for (let l = 0; l + 1 < cum.length; l++) {
      const w = cum[l + 1] - cum[l];
      if (w < 1 || w > 1024) fail(`level ${l} has ${w} neighbour slots (expected 1..1024)`);
    }
    const { levels, neighbors } = parts;
    if (!(levels instanceof Int32Array) || levels.length !== ntotal) fail(`expected ${ntotal} levels (one per stored vector), received ${describeValue(levels)}`);
    const off = parts.offsets;
    if (!(off instanceof BigUint64Array || off instanceof BigInt64Array) || off.length !== ntotal + 1) {
      fail(`expected ${ntotal + 1} offsets, received ${describeValue(off)}`);
    }
    if (!(neighbors instanceof Int32Array)) fail(`expected an Int32Array of neighbours, received ${describeValue(neighbors)}`);
    const offsets = new BigInt64Array(ntotal + 1);
    if (off[0] !== 0n) fail(`offsets[0] = ${off[0]}, expected 0`);
    let o = 0;
    for (let i = 0; i < ntotal; i++) {
      const lv = levels[i];
      if (lv < 1 || lv > cum.length - 1) fail(`levels[${i}] = ${lv}, expected 1..${cum.length - 1}`);
      o += cum[lv];
      if (BigInt(o) !== BigInt(off[i + 1])) fail(`offsets[${i + 1}] = ${off[i + 1]}, expected ${o} (offsets[${i}] + cum[levels[${i}]])`);
      offsets[i + 1] = BigInt(o);
    }
    if (neighbors.length !== o) fail(`expected ${o} neighbour slots (offsets[ntotal]), received ${neighbors.length}`);
    for (let j = 0; j < neighbors.length; j++) {
      const v = neighbors[j];
      if (v < -1 || v >= ntotal) fail(`neighbour slot ${j} holds ${v}, expected -1 or a node id below ${ntotal}`);
    }
    const ep = parts.entryPoint;
    const ml = parts.maxLevel;
    if (!Number.isInteger(ep) || ep < -1 || ep >= ntotal) fail(`entry_point = ${ep} is not -1 or a node id below ${ntotal}`);
    if (!Number.isInteger(ml) || ml < -1 || ml > cum.length - 2) fail(`max_level = ${ml} out of range`);
    if (ntotal > 0 && ep < 0) fail(`entry_point = -1 but the graph has ${ntotal} nodes`);
    if (ep >= 0 && levels[ep] - 1 !== ml) fail(`the entry point ${ep} has top level ${levels[ep] - 1}, expected max_level = ${ml}`);
    const g = new HnswGraph(2, withEdgeDistances);
    g.#init(probas.slice(), cum.slice(), withEdgeDistances);
    g.#levels = levels.slice();
    g.#offsets = offsets;
    g.#neighbors = neighbors.slice();
    if (g.#edges) g.#edges = new Float32Array(neighbors.length).fill(NaN);
    g.#ntotal = ntotal;
    g.#entryPoint = ep;
    g.#maxLevel = ml;
    for (const [name, v] of [['efConstruction', parts.efConstruction], ['efSearch', parts.efSearch]] as const) {
      if (!Number.isInteger(v) || v < 1) fail(`${name} = ${v}, expected an integer >= 1`);
    }
    g.efConstruction = parts.efConstruction;
    g.efSearch = parts.efSearch;
    g.upperBeam = parts.upperBeam ?? 1;
    return g;
  }

  #init(probas: Float64Array, cum: Int32Array, withEdges: boolean): void {
    this.efConstruction = 40;
    this.efSearch = 16;
    this.searchBoundedQueue = true;
    this.checkRelativeDistance = true;
    this.upperBeam = 1;
    this.#assignProbas = probas;
    this.#cum = cum;
    this.#withEdges = withEdges;
    this.#edges = withEdges ? new Float32Array(0) : null;
    this.#levels = new Int32Array(0);
    this.#offsets = new BigInt64Array(1);
    this.#neighbors = new Int32Array(0);
    this.#ntotal = 0;
    this.#entryPoint = -1;
    this.#maxLevel = -1;
    this.#rng = new RandomGenerator(12345);
    this.#readers = 0;
    this.#generation = 0;
  }

  /** FAISS's fields, as copies (for writing a file). */
  toParts(): HnswParts {
    const n = this.#ntotal;
    const offsets = new BigUint64Array(n + 1);
    for (let i = 0; i <= n; i++) offsets[i] = BigInt.asUintN(64, this.#offsets[i]);
    return {
      assignProbas: this.#assignProbas.slice(),
      cumNneighborPerLevel: this.#cum.slice(),
      levels: this.#levels.slice(0, n),
      offsets,
      neighbors: this.#neighbors.slice(0, Number(this.#offsets[n])),
      entryPoint: this.#entryPoint,
      maxLevel: this.#maxLevel,
      efConstruction: this.efConstruction,
      efSearch: this.efSearch,
      upperBeam: this.upperBeam,
    };
  }

  get ntotal(): number {
    return this.#ntotal;
  }
  get entryPoint(): number {
    return this.#entryPoint;
  }
  get maxLevel(): number {
    return this.#maxLevel;
  }
  /** neighbours per node above level 0 (FAISS's nb_neighbors(1)); level 0 has cum[1] */
  get M(): number {
    const c = this.#cum;
    return c.length > 2 ? c[2] - c[1] : c[1] >> 1;
  }
  /** FAISS's assign_probas (a copy) */
  get assignProbas(): Float64Array {
    return this.#assignProbas.slice();
  }
  /** FAISS's cum_nneighbor_per_level (a copy) */
  get cumNneighborPerLevel(): Int32Array {
    return this.#cum.slice();
  }
  /** number of neighbour slots at a level (FAISS's nb_neighbors) */
  nbNeighbors(level: number): number {
    return this.#cum[level + 1] - this.#cum[level];
  }
  /** levels of node i (top level + 1) */
  levelOf(i: number): number {
    return this.#levels[i];
  }
  /** the neighbours of node i at a level (a copy, -1 slots dropped) */
  neighborsOf(i: number, level: number): Int32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.#ntotal || level < 0 || level >= this.#levels[i]) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a node id in [0, ${this.#ntotal}) and one of its levels, received node ${String(i)}, level ${String(level)}`);
    }
    const o = Number(this.#offsets[i]);
    const out: number[] = [];
    for (let j = o + this.#cum[level]; j < o + this.#cum[level + 1]; j++) {
      if (this.#neighbors[j] < 0) break;
      out.push(this.#neighbors[j]);
    }
    return Int32Array.from(out);
  }

  /** The graph as the kernels take it, as of now (buffers shared, not copied). */
  snapshot(): HnswGraphArrays {
    return {
      levels: this.#levels,
      offsets: this.#offsets,
      neighbors: this.#neighbors,
      cum: this.#cum,
      ntotal: this.#ntotal,
      entryPoint: this.#entryPoint,
      maxLevel: this.#maxLevel,
      edgeDistances: this.#edges ?? undefined,
    };
  }

  /** Marks an async search as reading the current buffers (until endRead). */
  beginRead(): void {
    this.#readers++;
  }
  endRead(): void {
    this.#readers--;
  }
  /** whether an async search may be reading the buffers */
  get hasReaders(): boolean {
    return this.#readers > 0;
  }

  /**
   * Prepares the insertion of n nodes: draws their levels (from a copy of
   * the generator), writes their levels / offsets past the current end, and
   * gives the neighbour buffers to insert into: the live ones (copyOnWrite
   * false: only when nothing may be reading them) or copies.
   */
  prepareAdd(n: number, copyOnWrite: boolean): HnswAddWork {
    const n0 = this.#ntotal;
    const total = n0 + n;
    if (total > 2147483647) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected at most 2147483647 nodes in an HNSW graph (int32 ids, as FAISS), received ${n0} + ${n}`);
    }
    const rng = this.#rng.clone();
    let levels = this.#levels;
    if (levels.length < total) {
      levels = largeArray(Int32Array, growCapacity(levels.length, total));
      levels.set(this.#levels.subarray(0, n0));
    }
    let offsets = this.#offsets;
    if (offsets.length < total + 1) {
      offsets = largeArray(BigInt64Array, growCapacity(offsets.length, total + 1));
      offsets.set(this.#offsets.subarray(0, n0 + 1));
    }
    const cum = this.#cum;
    let o = Number(offsets[n0]);
    const oldSlots = o;
    for (let i = n0; i < total; i++) {
      const lv = randomLevel(rng, this.#assignProbas) + 1;
      levels[i] = lv;
      o += cum[lv];
      offsets[i + 1] = BigInt(o);
    }
    const slots = o;
    let neighbors = this.#neighbors;
    let edges = this.#edges;
    if (copyOnWrite || neighbors.length < slots) {
      const cap = copyOnWrite && neighbors.length >= slots ? neighbors.length : growCapacity(neighbors.length, slots);
      neighbors = largeArray(Int32Array, cap);
      neighbors.set(this.#neighbors.subarray(0, oldSlots));
      if (edges) {
        edges = largeArray(Float32Array, cap);
        edges.set((this.#edges as Float32Array).subarray(0, oldSlots));
      }
    }
    neighbors.fill(-1, oldSlots, slots);
    if (edges) edges.fill(NaN, oldSlots, slots);
    return {
      graph: {
        levels,
        offsets,
        neighbors,
        cum,
        ntotal: total,
        entryPoint: this.#entryPoint,
        maxLevel: this.#maxLevel,
        edgeDistances: edges ?? undefined,
      },
      order: insertionOrder(levels, n0, n),
      n0,
      n,
      rng,
      generation: this.#generation,
    };
  }

  /** Whether a prepared add still applies (no reset, no other commit since). */
  isCurrent(work: HnswAddWork): boolean {
    return work.generation === this.#generation && work.n0 === this.#ntotal;
  }

  /** Installs a completed insertion. */
  commit(work: HnswAddWork): void {
    if (!this.isCurrent(work)) {
      throw new MetalFaissError('ABORTED', 'the HNSW graph changed (reset) while an add was running; the add was discarded');
    }
    const g = work.graph;
    this.#levels = g.levels;
    this.#offsets = g.offsets;
    this.#neighbors = g.neighbors;
    this.#edges = g.edgeDistances ?? (this.#withEdges ? this.#edges : null);
    this.#entryPoint = g.entryPoint;
    this.#maxLevel = g.maxLevel;
    this.#ntotal = g.ntotal;
    this.#rng = work.rng;
    this.#generation++;
  }

  /** Empties the graph (FAISS's HNSW::reset: the level generator keeps its state). */
  reset(): void {
    this.#levels = new Int32Array(0);
    this.#offsets = new BigInt64Array(1);
    this.#neighbors = new Int32Array(0);
    if (this.#edges) this.#edges = new Float32Array(0);
    this.#ntotal = 0;
    this.#entryPoint = -1;
    this.#maxLevel = -1;
    this.#generation++;
  }

  /** Bytes held by the graph buffers (capacity included). */
  memoryBytes(): number {
    return this.#levels.byteLength + this.#offsets.byteLength + this.#neighbors.byteLength + (this.#edges?.byteLength ?? 0);
  }
}
