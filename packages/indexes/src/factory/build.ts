/**
 * index_factory / index_binary_factory: builds the objects a description
 * names (FAISS's types and defaults). Every family of FAISS 1.7.3's grammar
 * that metalfaiss implements is wired (flat, IVF over flat / HNSW / any
 * quantizer with Flat, PQ and SQ codes, PQ, SQ, HNSW over Flat / PQ / SQ,
 * LSH, the transforms, IDMap(2), refinement; binary Flat, IVF, HNSW, IDMap(2)).
 * A token whose class is missing throws UNSUPPORTED naming the class, never
 * a stand-in.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import * as all from '../index';
import { Index } from '../index-base';
import { IndexFlat } from '../flat';
import { IndexIDMap, IndexIDMap2 } from '../idmap';
import { MetricType, parseMetric, type MetricInput } from '../metric';
import { IndexPreTransform } from '../meta/pre-transform';
import { IndexRefine, IndexRefineFlat } from '../meta/refine';
import { PCAMatrix } from '../transforms/pca';
import { ITQTransform } from '../transforms/itq';
import { RandomRotationMatrix } from '../transforms/random-rotation';
import { NormalizationTransform, RemapDimensionsTransform } from '../transforms/simple';
import type { VectorTransform } from '../transforms/vector-transform';
import { checkDimension } from '../validate';
import {
  type BinaryNode,
  type CodeNode,
  type IndexNode,
  type TransformNode,
  parseBinaryDescription,
  parseIndexDescription,
} from './grammar';

type Ctor = new (...args: never[]) => object;

/**
 * Classes whose constructor this builder calls, with the signature checked
 * against their source. Others are refused (UNSUPPORTED) even once exported,
 * until their signature is wired here: a guessed call is never made.
 */
const WIRED = new Set([
  'IndexIVFFlat', // (d, nlist, { metric, quantizer })
  'IndexIVFPQ', // (d, nlist, M, nbits, { metric, quantizer })
  'IndexIVFScalarQuantizer', // (d, nlist, qtype, { metric, quantizer, byResidual })
  'IndexScalarQuantizer', // (d, qtype, metric)
  'IndexPQ', // (d, M, nbits, { metric })
  'IndexHNSWFlat', // (d, M, { metric })
  'IndexHNSWPQ', // (d, pqM, M, nbits, { metric }): nbits 8, L2 only
  'IndexHNSWSQ', // (d, qtype, M, { metric })
  'IndexLSH', // (d, nbits, rotateData, trainThresholds)
  'OPQMatrix', // (d, M, dOut)
  'IndexBinaryFlat', // (d)
  'IndexBinaryHNSW', // (d, M)
  'IndexBinaryIVF', // (quantizer, d, nlist)
  'IndexBinaryIDMap', // (index)
  'IndexBinaryIDMap2', // (index)
]);

/** A class of this package by name, or UNSUPPORTED naming it and the token that needs it. */
function classNamed(name: string, token: string, pos: number, full: string): Ctor {
  const c = (all as unknown as Record<string, unknown>)[name];
  if (typeof c === 'function' && !WIRED.has(name)) {
    throw new MetalFaissError(
      'UNSUPPORTED',
      `index_factory: '${token}' at position ${pos} of '${full}' needs ${name}, which is not wired into index_factory yet`,
    );
  }
  if (typeof c !== 'function') {
    throw new MetalFaissError(
      'UNSUPPORTED',
      `index_factory: '${token}' at position ${pos} of '${full}' needs ${name}, which metalfaiss does not implement yet`,
    );
  }
  return c as Ctor;
}

interface BuildContext {
  full: string;
  metric: MetricType;
}

function buildTransform(t: TransformNode, d: number, ctx: BuildContext): VectorTransform {
  const bad = (why: string) =>
    new MetalFaissError('INVALID_ARGUMENT', `index_factory: '${t.token}' at position ${t.pos} of '${ctx.full}': ${why} (input dimension ${d})`);
  switch (t.type) {
    case 'PCA':
      if (t.dOut > d) throw bad(`cannot reduce to ${t.dOut} dimensions`);
      return new PCAMatrix(d, t.dOut, t.whiten ? -0.5 : 0, t.rotate);
    case 'L2norm':
      return new NormalizationTransform(d, 2.0);
    case 'RR':
      return new RandomRotationMatrix(d, t.dOut ?? d);
    case 'ITQ':
      if ((t.dOut ?? d) > d) throw bad(`cannot reduce to ${t.dOut} dimensions`);
      return new ITQTransform(d, t.dOut ?? d, t.dOut !== null);
    case 'OPQ': {
      const OPQ = classNamed('OPQMatrix', t.token, t.pos, ctx.full) as unknown as new (d: number, M: number, dOut: number) => VectorTransform;
      const dOut = t.dOut ?? d;
      if (dOut % t.M !== 0) throw bad(`OPQ M = ${t.M} must divide the output dimension ${dOut}`);
      return new OPQ(d, t.M, dOut);
    }
    case 'Pad':
      return new RemapDimensionsTransform(d, Math.max(t.dOut, d), false);
  }
}

function sqType(code: { qtype: string }): string {
  return { SQ8: 'QT_8bit', SQ4: 'QT_4bit', SQ6: 'QT_6bit', SQfp16: 'QT_fp16', SQ8_direct: 'QT_8bit_direct' }[code.qtype] as string;
}

function buildIVF(node: Extract<IndexNode, { kind: 'IVF' }>, d: number, ctx: BuildContext): Index {
  const { full, metric } = ctx;
  let quantizer: Index;
  switch (node.quantizer.type) {
    case 'Flat':
      quantizer = new IndexFlat(d, { metric });
      break;
    case 'HNSW': {
      const H = classNamed('IndexHNSWFlat', node.quantizer.token, node.quantizer.pos, full) as unknown as new (d: number, M: number, o: object) => Index;
      quantizer = new H(d, node.quantizer.M, { metric });
      break;
    }
    case 'Index':
      quantizer = build(node.quantizer.index, d, ctx);
      break;
  }
  const code = node.code;
  const common = { metric, quantizer };
  // FAISS's fix_ivf_fields: a flat quantizer is the k-means index (0); any
  // other quantizer trains on k-means centroids computed apart (2)
  const fix = (ivf: Index): Index => {
    if (!(quantizer instanceof IndexFlat)) (ivf as unknown as { quantizerTrainsAlone: number }).quantizerTrainsAlone = 2;
    return ivf;
  };
  switch (code.type) {
    case 'Flat': {
      const C = classNamed('IndexIVFFlat', code.token, code.pos, full) as unknown as new (d: number, nlist: number, o: object) => Index;
      return fix(new C(d, node.nlist, common));
    }
    case 'PQ': {
      const C = classNamed('IndexIVFPQ', code.token, code.pos, full) as unknown as new (d: number, nlist: number, M: number, nbits: number, o: object) => Index;
      checkDivides(code, d, ctx);
      return fix(new C(d, node.nlist, code.M, code.nbits, common));
    }
    case 'SQ': {
      const C = classNamed('IndexIVFScalarQuantizer', code.token, code.pos, full) as unknown as new (d: number, nlist: number, qtype: string, o: object) => Index;
      return fix(new C(d, node.nlist, sqType(code), { ...common, byResidual: true }));
    }
  }
}

function checkDivides(code: { M: number; token: string; pos: number }, d: number, ctx: BuildContext): void {
  if (d % code.M !== 0) {
    throw new MetalFaissError('INVALID_ARGUMENT', `index_factory: '${code.token}' at position ${code.pos} of '${ctx.full}': PQ M = ${code.M} must divide the dimension ${d}`);
  }
}

const HNSW_OTHER_STORAGES = 'Flat, SQ8, SQ4, SQ6, SQfp16 or SQ8_direct';

function buildHNSW(node: Extract<IndexNode, { kind: 'HNSW' }>, d: number, ctx: BuildContext): Index {
  const s: CodeNode = node.storage;
  switch (s.type) {
    case 'Flat': {
      const C = classNamed('IndexHNSWFlat', node.token, node.pos, ctx.full) as unknown as new (d: number, M: number, o: object) => Index;
      return new C(d, node.M, { metric: ctx.metric });
    }
    case 'PQ': {
      // FAISS 1.7.3 reads only PQ{M}[np] here and builds IndexHNSWPQ(d, M, hnsw_M): 8-bit codes, L2 whatever the metric
      const bad = (why: string, expected: string) =>
        new MetalFaissError('INVALID_ARGUMENT', `index_factory: '${s.token}' at position ${s.pos} of '${ctx.full}': ${why}; expected ${expected}`);
      if (s.nbits !== 8) {
        throw bad(`IndexHNSWPQ stores 8-bit PQ codes, not ${s.nbits}-bit ones`, `PQ${s.M} or PQ${s.M}np (or the storages ${HNSW_OTHER_STORAGES})`);
      }
      if (ctx.metric !== MetricType.L2) {
        throw bad('IndexHNSWPQ supports only the L2 metric (FAISS 1.7.3 builds an L2 index whatever the metric)', `the L2 metric, or the storages ${HNSW_OTHER_STORAGES} for inner product`);
      }
      checkDivides(s, d, ctx);
      const C = classNamed('IndexHNSWPQ', s.token, s.pos, ctx.full) as unknown as new (d: number, pqM: number, M: number, nbits: number, o: object) => Index;
      return new C(d, s.M, node.M, s.nbits, { metric: ctx.metric });
    }
    case 'SQ': {
      const C = classNamed('IndexHNSWSQ', s.token, s.pos, ctx.full) as unknown as new (d: number, qtype: string, M: number, o: object) => Index;
      return new C(d, sqType(s), node.M, { metric: ctx.metric });
    }
  }
}

function build(node: IndexNode, d: number, ctx: BuildContext): Index {
  switch (node.kind) {
    case 'IDMap': {
      const sub = build(node.sub, d, ctx);
      return node.two ? new IndexIDMap2(sub) : new IndexIDMap(sub);
    }
    case 'Refine': {
      const base = build(node.base, d, ctx);
      return node.refine ? new IndexRefine(base, build(node.refine, d, ctx)) : new IndexRefineFlat(base);
    }
    case 'PreTransform': {
      const chain: VectorTransform[] = [];
      let dim = d;
      for (const t of node.chain) {
        const vt = buildTransform(t, dim, ctx);
        chain.push(vt);
        dim = vt.dOut;
      }
      return new IndexPreTransform(chain, build(node.sub, dim, ctx));
    }
    case 'Flat':
      return new IndexFlat(d, { metric: ctx.metric });
    case 'LSH': {
      if (ctx.metric !== MetricType.L2) {
        throw new MetalFaissError('INVALID_ARGUMENT', `index_factory: '${node.token}' at position ${node.pos} of '${ctx.full}': IndexLSH supports only the L2 metric (as FAISS)`);
      }
      const C = classNamed('IndexLSH', node.token, node.pos, ctx.full) as unknown as new (d: number, nbits: number, rotate: boolean, train: boolean) => Index;
      return new C(d, node.nbits ?? d, node.rotate, node.trainThresholds);
    }
    case 'SQ': {
      const C = classNamed('IndexScalarQuantizer', node.token, node.pos, ctx.full) as unknown as new (d: number, qtype: string, metric: MetricType) => Index;
      return new C(d, sqType(node), ctx.metric);
    }
    case 'PQ': {
      checkDivides(node, d, ctx);
      const C = classNamed('IndexPQ', node.token, node.pos, ctx.full) as unknown as new (d: number, M: number, nbits: number, o: object) => Index;
      return new C(d, node.M, node.nbits, { metric: ctx.metric });
    }
    case 'HNSW':
      return buildHNSW(node, d, ctx);
    case 'IVF':
      return buildIVF(node, d, ctx);
  }
}

/**
 * FAISS's `index_factory(d, description, metric)`: the index a description
 * string names, untrained and empty.
 *
 * One documented difference: FAISS sets do_polysemous_training for `PQ{M}`
 * codes without the `np` suffix. Polysemous training only renumbers the PQ
 * centroids for Hamming pre-filtering, which metalfaiss does not implement
 * (polysemous_ht must stay 0); ADC search results are unaffected, so
 * `PQ{M}` and `PQ{M}np` build the same index here.
 * @throws MetalFaissError INVALID_ARGUMENT for a malformed or unknown token
 *   (naming it and its position, listing what is accepted there),
 *   UNSUPPORTED for a token whose index class metalfaiss does not have yet
 */
export function indexFactory(d: number, description: string, metric: MetricInput = MetricType.L2): Index {
  checkDimension(d);
  const m = parseMetric(metric);
  const tree = parseIndexDescription(description);
  return build(tree, d, { full: description, metric: m });
}

/** FAISS's `index_binary_factory(d, description)` (d in bits, a multiple of 8). */
export function indexBinaryFactory(d: number, description: string): object {
  if (!Number.isInteger(d) || d < 8 || d % 8 !== 0) {
    throw new MetalFaissError('INVALID_ARGUMENT', `index_binary_factory: expected a positive multiple of 8 for d (bits), received ${describeValue(d)}`);
  }
  const tree = parseBinaryDescription(description);
  return buildBinary(tree, d, description);
}

function buildBinary(node: BinaryNode, d: number, full: string): object {
  switch (node.kind) {
    case 'IDMap': {
      const sub = buildBinary(node.sub, d, full);
      const C = classNamed(node.two ? 'IndexBinaryIDMap2' : 'IndexBinaryIDMap', node.token, node.pos, full) as unknown as new (sub: object) => object;
      return new C(sub);
    }
    case 'BFlat': {
      const C = classNamed('IndexBinaryFlat', node.token, node.pos, full) as unknown as new (d: number) => object;
      return new C(d);
    }
    case 'BHNSW': {
      const C = classNamed('IndexBinaryHNSW', node.token, node.pos, full) as unknown as new (d: number, M: number) => object;
      return new C(d, node.M);
    }
    case 'BIVF': {
      const C = classNamed('IndexBinaryIVF', node.token, node.pos, full) as unknown as new (q: object, d: number, nlist: number) => object;
      let quantizer: object;
      if (node.hnswM !== null) {
        const H = classNamed('IndexBinaryHNSW', node.token, node.pos, full) as unknown as new (d: number, M: number) => object;
        quantizer = new H(d, node.hnswM);
      } else {
        const F = classNamed('IndexBinaryFlat', node.token, node.pos, full) as unknown as new (d: number) => object;
        quantizer = new F(d);
      }
      return new C(quantizer, d, node.nlist);
    }
  }
}
