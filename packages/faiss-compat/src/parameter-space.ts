/**
 * FAISS's ParameterSpace (AutoTune.cpp) for setting search-time parameters
 * by name through any chain of wrappers, plus `downcast_index`,
 * `extract_index_ivf` and the seed's `setNumProbes`.
 *
 * Wrappers are traversed as FAISS does: IndexIDMap/IDMap2 and
 * IndexPreTransform pass to their inner index; IndexShards/IndexReplicas to
 * every sub-index; IndexRefine takes `k_factor_rf` itself and passes the rest
 * to its base index. Then: `nprobe`, `max_codes` (IVF), `quantizer_<name>`
 * (forwarded to an IVF's coarse quantizer), `efSearch` (HNSW, or an IVF's
 * HNSW quantizer), `ht` (polysemous threshold where the index has one).
 * Anything else is INVALID_ARGUMENT naming the parameter and the index.
 */
import * as ix from '@metalfaiss/indexes';
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import type { Index } from './base';
import { wrapIndex } from './wrap';

type AnyIndex = ix.Index & Record<string, unknown>;

function implOf(index: unknown, fn: string): ix.Index {
  const impl = (index as { impl?: unknown } | null)?.impl;
  if (!(impl instanceof ix.Index)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a faiss-compat index for ${fn}, received ${describeValue(index)}`);
  return impl;
}

/** The inner index of a single-child wrapper (IDMap, PreTransform, IVFOPQ-style wrappers), or null. */
function innerOf(index: ix.Index): ix.Index | null {
  if (index instanceof ix.IndexIDMap) return index.index;
  if (index instanceof ix.IndexPreTransform) return index.index;
  const inner = (index as AnyIndex).innerIndex;
  return inner instanceof ix.Index ? inner : null;
}

function isIVF(index: ix.Index): index is ix.Index & { nprobe: number; maxCodes: number; quantizer: ix.Index } {
  const IVF = (ix as unknown as Record<string, unknown>).IndexIVF;
  if (typeof IVF === 'function' && index instanceof (IVF as new () => object)) return true;
  const r = index as AnyIndex;
  return 'nprobe' in r && r.quantizer instanceof ix.Index;
}

function hnswOf(index: ix.Index): { efSearch: number } | null {
  const h = (index as AnyIndex).hnsw as { efSearch?: unknown } | undefined;
  return h && typeof h === 'object' && 'efSearch' in h ? (h as { efSearch: number }) : null;
}

function intParam(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a number >= ${min} for the parameter ${name}, received ${describeValue(value)}`);
  }
  return Math.trunc(value);
}

/** Sets one parameter on an @metalfaiss/indexes object, reaching through wrappers. */
export function setIndexParameter(index: ix.Index, name: string, value: number): void {
  if (typeof name !== 'string' || name === '') throw new MetalFaissError('INVALID_ARGUMENT', `expected a parameter name, received ${describeValue(name)}`);
  if (typeof value !== 'number' || Number.isNaN(value)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a number for the parameter ${name}, received ${describeValue(value)}`);
  const inner = innerOf(index);
  if (inner) return setIndexParameter(inner, name, value);
  if (index instanceof ix.IndexShards || index instanceof ix.IndexReplicas) {
    if (index.count === 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected sub-indexes in the ${index.typeName} to set ${name} on, received none`);
    for (const s of index.subIndexes) setIndexParameter(s, name, value);
    return;
  }
  if (index instanceof ix.IndexRefine) {
    if (name === 'k_factor_rf') {
      if (!(value >= 1)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a number >= 1 for k_factor_rf, received ${value}`);
      index.kFactor = Math.trunc(value);
      return;
    }
    return setIndexParameter(index.baseIndex, name, value);
  }
  if (isIVF(index)) {
    if (name === 'nprobe') {
      index.nprobe = intParam(name, value, 1);
      return;
    }
    if (name === 'max_codes') {
      index.maxCodes = Number.isFinite(value) ? intParam(name, value, 0) : 0;
      return;
    }
    if (name.startsWith('quantizer_')) return setIndexParameter(index.quantizer, name.slice('quantizer_'.length), value);
    if (name === 'efSearch' && hnswOf(index.quantizer)) return setIndexParameter(index.quantizer, name, value);
  }
  if (name === 'efSearch') {
    const h = hnswOf(index);
    if (h) {
      h.efSearch = intParam(name, value, 1);
      return;
    }
  }
  if (name === 'ht' && 'polysemousHt' in (index as AnyIndex)) {
    (index as AnyIndex).polysemousHt = intParam(name, value, 0);
    return;
  }
  throw new MetalFaissError(
    'INVALID_ARGUMENT',
    `ParameterSpace.set_index_parameter: unknown parameter ${name} for ${index.typeName} ` +
      '(known: nprobe, max_codes, quantizer_<name> for IVF; efSearch for HNSW; ht for polysemous PQ; k_factor_rf for IndexRefine)',
  );
}

/** FAISS's ParameterSpace: parameters by name, through wrappers. */
export class ParameterSpace {
  verbose = 0;

  /** `ps.set_index_parameter(index, "nprobe", 16)` */
  set_index_parameter(index: Index, name: string, value: number): void {
    setIndexParameter(implOf(index, 'set_index_parameter'), name, value);
  }

  /** `ps.set_index_parameters(index, "nprobe=16,efSearch=64")`; every pair is checked before any is set */
  set_index_parameters(index: Index, description: string): void {
    const impl = implOf(index, 'set_index_parameters');
    if (typeof description !== 'string') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a string like "nprobe=16,efSearch=64" for set_index_parameters, received ${describeValue(description)}`);
    }
    const pairs: Array<[string, number]> = [];
    let pos = 0;
    for (const part of description.split(',')) {
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([-+0-9.eE]+|inf|nan)\s*$/.exec(part);
      const value = m ? Number(m[2] === 'inf' ? Infinity : m[2]) : NaN;
      if (!m || Number.isNaN(value)) {
        throw new MetalFaissError(
          'INVALID_ARGUMENT',
          `ParameterSpace.set_index_parameters: expected name=value at position ${pos} of '${description}', received '${part}'`,
        );
      }
      pairs.push([m[1], value]);
      pos += part.length + 1;
    }
    for (const [name, value] of pairs) setIndexParameter(impl, name, value);
  }
}

/** `faiss.downcast_index(index)`: the compat object of the most specific class. */
export function downcast_index(index: Index): Index {
  return wrapIndex(implOf(index, 'downcast_index'));
}

/** `faiss.extract_index_ivf(index)`: the IndexIVF inside wrappers (PreTransform, IDMap, Refine, IVFOPQ). */
export function extract_index_ivf(index: Index): Index {
  let cur: ix.Index = implOf(index, 'extract_index_ivf');
  for (;;) {
    if (isIVF(cur)) return wrapIndex(cur);
    const inner = innerOf(cur) ?? (cur instanceof ix.IndexRefine ? cur.baseIndex : null);
    if (!inner) throw new MetalFaissError('INVALID_ARGUMENT', `expected an IVF index (possibly wrapped) for extract_index_ivf, received ${cur.typeName}`);
    cur = inner;
  }
}

/** The seed's name for setting nprobe through any wrappers. */
export function setNumProbes(index: Index, nprobe: number): void {
  setIndexParameter(implOf(index, 'setNumProbes'), 'nprobe', nprobe);
}
