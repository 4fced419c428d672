import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { checkInteger, fileError, invalidArgument, MetalFaissError } from '../errors';
import { FASHION_MNIST_DIR, FASHION_MNIST_INSTALL_HINT, fashionMnistAvailable, loadFashionMnist } from './fashion-mnist';
import { syntheticDataset, type SyntheticOptions } from './synthetic';
import type { Dataset } from './types';
import { bytesToFloat32, readBvecs, readF32, readFvecs } from './vecs';

/** The synthetic dataset the demo and tests fall back to: 20000 x 128, 1000 queries, 10000 train. */
export const DEFAULT_SYNTHETIC: SyntheticOptions = { d: 128, nb: 20000, nq: 1000, nt: 10000, seed: 1338 };

export interface LoadOptions {
  /** minimum number of queries the caller needs (synthetic generates at least this many) */
  nq?: number;
  /** dimension for raw .f32 files */
  dim?: number;
  /** where to look for Fashion-MNIST (default /usr/share/datasets/fashion-mnist) */
  fashionMnistDir?: string;
}

/**
 * Resolves a dataset spec:
 * - `default`: Fashion-MNIST when installed, else the default synthetic set (with a note)
 * - `fashion-mnist`: /usr/share/datasets/fashion-mnist (error with install hint if missing)
 * - `synthetic` or `synthetic:d=128,nb=20000,nq=1000,nt=10000,seed=1338` (any subset of keys)
 * - a directory: IDX layout (train-images-idx3-ubyte[.gz] + t10k-images-idx3-ubyte[.gz]),
 *   or TEXMEX layout (*base.fvecs|bvecs + *query.fvecs|bvecs [+ *learn.*])
 * - a file `.fvecs` / `.bvecs` / `.f32` (needs dim): its sibling `*query.*` file gives the
 *   queries if present (for `X_base.fvecs`), otherwise the last nq vectors are held out as queries
 */
export function loadDataset(spec: string, options: LoadOptions = {}): Dataset {
  const nqWanted = options.nq ?? 1000;
  const fmDir = options.fashionMnistDir ?? FASHION_MNIST_DIR;
  if (spec === 'default') {
    if (fashionMnistAvailable(fmDir)) return loadFashionMnist(fmDir);
    const ds = syntheticDataset({ ...DEFAULT_SYNTHETIC, nq: Math.max(DEFAULT_SYNTHETIC.nq, nqWanted) });
    ds.notes.push(`Fashion-MNIST is not installed in ${fmDir}, so this runs on synthetic data (20000 x 128). ${FASHION_MNIST_INSTALL_HINT}.`);
    return ds;
  }
  if (spec === 'fashion-mnist') return loadFashionMnist(fmDir);
  if (spec === 'synthetic' || spec.startsWith('synthetic:')) {
    const opts: SyntheticOptions = { ...DEFAULT_SYNTHETIC, nq: Math.max(DEFAULT_SYNTHETIC.nq, nqWanted) };
    if (spec.startsWith('synthetic:')) {
      for (const part of spec.slice('synthetic:'.length).split(',').filter(Boolean)) {
        const [key, value] = part.split('=');
        const num = Number(value);
        if (!['d', 'nb', 'nq', 'nt', 'seed'].includes(key) || !Number.isInteger(num)) {
          throw invalidArgument('dataset', 'synthetic:key=int,... with keys d, nb, nq, nt, seed', spec);
        }
        (opts as unknown as Record<string, number>)[key] = num;
      }
    }
    return syntheticDataset(opts);
  }
  if (!existsSync(spec)) {
    throw invalidArgument('dataset', "'default', 'fashion-mnist', 'synthetic[:d=..,nb=..,nq=..,nt=..,seed=..]' or an existing path", spec);
  }
  if (statSync(spec).isDirectory()) return loadDirectory(spec);
  return loadFile(spec, nqWanted, options.dim);
}

function readVectors(file: string, dim?: number): { n: number; d: number; data: Float32Array } {
  const ext = extname(file).toLowerCase();
  if (ext === '.fvecs') return readFvecs(file);
  if (ext === '.bvecs') {
    const m = readBvecs(file);
    return { n: m.n, d: m.d, data: bytesToFloat32(m.data) };
  }
  if (ext === '.f32') {
    if (dim === undefined) throw invalidArgument('dim', `the dimension of raw float32 file ${file} (--dim)`, dim);
    return readF32(file, checkInteger('dim', dim, 1));
  }
  throw fileError(file, 'a .fvecs, .bvecs or .f32 file', `extension '${ext}'`);
}

function loadDirectory(dir: string): Dataset {
  if (fashionMnistAvailable(dir)) return loadFashionMnist(dir);
  const files = readdirSync(dir);
  const find = (role: string): string | undefined =>
    files.find((f) => new RegExp(`${role}\\.(fvecs|bvecs)$`).test(f));
  const baseName = find('base');
  const queryName = find('query');
  if (baseName === undefined || queryName === undefined) {
    throw new MetalFaissError(
      'IO_FORMAT',
      `expected IDX files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz]) or *base.fvecs|bvecs + *query.fvecs|bvecs for dataset directory ${dir}, received ${files.length} entries without them`,
    );
  }
  const base = readVectors(join(dir, baseName));
  const query = readVectors(join(dir, queryName));
  if (query.d !== base.d) throw fileError(join(dir, queryName), `vectors of d=${base.d} like ${baseName}`, `d=${query.d}`);
  const learnName = find('learn');
  const learn = learnName ? readVectors(join(dir, learnName)) : { n: 0, d: base.d, data: new Float32Array(0) };
  if (learn.d !== base.d) throw fileError(join(dir, learnName!), `vectors of d=${base.d}`, `d=${learn.d}`);
  return {
    name: `vecs:${dir}`,
    description: `${dir}: ${base.n} base (${baseName}), ${query.n} queries (${queryName}), ${learn.n} train, d=${base.d}`,
    d: base.d,
    xb: base.data,
    nb: base.n,
    xq: query.data,
    nq: query.n,
    xt: learn.data,
    nt: learn.n,
    metric: 'l2',
    notes: [],
  };
}

function loadFile(file: string, nqWanted: number, dim?: number): Dataset {
  const all = readVectors(file, dim);
  const ext = extname(file);
  const stem = basename(file, ext);
  if (/base$/.test(stem)) {
    for (const qext of ['.fvecs', '.bvecs', '.f32']) {
      const qfile = join(dirname(file), stem.replace(/base$/, 'query') + qext);
      if (existsSync(qfile)) {
        const q = readVectors(qfile, dim ?? all.d);
        if (q.d !== all.d) throw fileError(qfile, `vectors of d=${all.d}`, `d=${q.d}`);
        return {
          name: `file:${file}`,
          description: `${file}: ${all.n} base, ${q.n} queries from ${qfile}, d=${all.d}`,
          d: all.d, xb: all.data, nb: all.n, xq: q.data, nq: q.n,
          xt: new Float32Array(0), nt: 0, metric: 'l2', notes: [],
        };
      }
    }
  }
  if (all.n < nqWanted + 1) throw fileError(file, `more than ${nqWanted} vectors (the last nq are held out as queries)`, `${all.n}`);
  const nb = all.n - nqWanted;
  return {
    name: `file:${file}:holdout${nqWanted}`,
    description: `${file}: first ${nb} vectors as base, last ${nqWanted} held out as queries, d=${all.d}`,
    d: all.d,
    xb: all.data.subarray(0, nb * all.d),
    nb,
    xq: all.data.subarray(nb * all.d),
    nq: nqWanted,
    xt: new Float32Array(0),
    nt: 0,
    metric: 'l2',
    notes: [`no query file next to ${file}: the last ${nqWanted} vectors are the queries`],
  };
}
