/**
 * Index construction for `metalfaiss build`: `faiss.index_factory` when this
 * build of faiss-compat exports it, otherwise the few strings the CLI can
 * build by itself (and a clear UNSUPPORTED error for the rest).
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import type { Index } from '../base';
import * as compat from '../index';
import { CliError } from './errors';

type Factory = (d: number, description: string, metric?: number) => Index;

/** The factory strings the CLI builds when faiss.index_factory is not available. */
export const FALLBACK_FACTORIES = ['Flat', 'IDMap,Flat', 'IDMap2,Flat'];

export function indexFactory(): Factory | null {
  const f = (compat as unknown as Record<string, unknown>).index_factory;
  return typeof f === 'function' ? (f as Factory) : null;
}

export function parseMetricOption(v: string | undefined): number {
  if (v === undefined || v === 'l2' || v === 'L2') return compat.METRIC_L2;
  if (v === 'ip' || v === 'IP' || v === 'inner_product') return compat.METRIC_INNER_PRODUCT;
  throw new CliError('INVALID_ARGUMENT', `expected l2 or ip for --metric, received ${JSON.stringify(v)}`, 'l2: squared Euclidean distance (FAISS METRIC_L2), ip: inner product (METRIC_INNER_PRODUCT)');
}

const FACTORY_HINT = "factory strings follow FAISS's index_factory, e.g. \"Flat\", \"IVF1024,Flat\", \"IVF1024,PQ16\", \"HNSW32\", \"OPQ16_64,IVF1024,PQ16\"";

export function makeIndex(d: number, description: string, metric: number): Index {
  const factory = indexFactory();
  if (factory) {
    try {
      return factory(d, description, metric);
    } catch (e) {
      if (MetalFaissError.isInstance(e) && !(e instanceof CliError)) {
        throw new CliError(e.code, `cannot build --factory ${JSON.stringify(description)} for d = ${d}: ${e.message}`, e.code === 'UNSUPPORTED' ? 'choose an index type metalfaiss implements (see docs/compat/FAISS-API-Checklist.md)' : FACTORY_HINT, { cause: e });
      }
      throw e;
    }
  }
  const key = description.replace(/\s+/g, '');
  if (key === 'Flat') return new compat.IndexFlat(d, metric);
  if (key === 'IDMap,Flat') return new compat.IndexIDMap(new compat.IndexFlat(d, metric));
  if (key === 'IDMap2,Flat') return new compat.IndexIDMap2(new compat.IndexFlat(d, metric));
  const looksLikeFaiss = /^(IDMap2?,)?((OPQ|PCAR?|RR|L2norm|ITQ)\d*(_\d+)?,)*(Flat|IVF\d+|IMI\d+x\d+|HNSW\d+|NSG\d+|PQ\d+|SQ\d+|SQfp16|LSH|Residual)/.test(key);
  if (looksLikeFaiss) {
    throw new CliError(
      'UNSUPPORTED',
      `cannot build --factory ${JSON.stringify(description)}: faiss.index_factory is not in this build of @metalfaiss/faiss-compat yet, so \`metalfaiss build\` builds only ${FALLBACK_FACTORIES.map((f) => JSON.stringify(f)).join(', ')}`,
      'use one of those, or build the index in Python FAISS: `metalfaiss info` and `metalfaiss search` read its files',
    );
  }
  throw new CliError('INVALID_ARGUMENT', `cannot parse --factory ${JSON.stringify(description)}`, FACTORY_HINT);
}

/** FAISS's binary factory strings: BFlat, BIVF{n}[_HNSW{M}], BHNSW{M}, optionally after IDMap/IDMap2. */
export function isBinaryFactory(description: string): boolean {
  return /^(IDMap2?,)?B(Flat|IVF|HNSW)/.test(description.replace(/\s+/g, ''));
}

/** `faiss.index_binary_factory(d, description)`'s index object (d in bits). */
export function makeBinaryIndex(d: number, description: string): BinaryBuildTarget {
  const f = (compat as unknown as Record<string, unknown>).index_binary_factory;
  if (typeof f !== 'function') {
    throw new CliError('UNSUPPORTED', `cannot build --factory ${JSON.stringify(description)}: faiss.index_binary_factory is not in this build of @metalfaiss/faiss-compat`);
  }
  try {
    return (f as (d: number, s: string) => { impl: BinaryBuildTarget })(d, description).impl;
  } catch (e) {
    if (MetalFaissError.isInstance(e) && !(e instanceof CliError)) {
      throw new CliError(e.code, `cannot build --factory ${JSON.stringify(description)} for d = ${d} bits: ${e.message}`, e.code === 'UNSUPPORTED' ? 'choose an index type metalfaiss implements (see docs/compat/FAISS-API-Checklist.md)' : 'binary factory strings: "BFlat", "BIVF1024", "BHNSW32"', { cause: e });
    }
    throw e;
  }
}

// structurally what build needs of a binary index object
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BinaryBuildTarget = any;
