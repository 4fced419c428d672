/**
 * `metalfaiss build --factory STR --input FILE [--train FILE] [--ids FILE] --out FILE`:
 * builds an index (faiss.index_factory), trains it (on --train, or on the
 * input as FAISS's scripts do), adds the input in batches with a progress bar,
 * writes it in FAISS's format and prints the timings.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as io from '@metalfaiss/io';
import * as ix from '@metalfaiss/indexes';
import type { Index } from '../base';
import { IndexIDMap } from '../flat';
import { mappingContext } from '../io/registry';
import type { CommandContext } from './context';
import { intOption, requireOption, stringOption } from './context';
import { CliError, usageError } from './errors';
import { readArrayFile, readIds, readVectors } from './formats';
import { isBinaryFactory, makeBinaryIndex, makeIndex, parseMetricOption } from './make-index';
import { Progress, formatBytes, formatCount, formatSeconds } from './progress';

export interface BuildSummary {
  factory: string;
  className: string;
  d: number;
  ntotal: number;
  metric: 'l2' | 'ip';
  input: string;
  trainInput: string | null;
  out: string;
  /** seconds; trainSeconds is 0 when the index needed no training */
  trainSeconds: number;
  addSeconds: number;
  writeSeconds: number;
  totalSeconds: number;
  memoryBytes: number | null;
  fileBytes: number;
  notes: string[];
}

/** Whether an index object stores caller-given ids itself (FAISS's add_with_ids works). */
export function storesIds(impl: ix.Index): boolean {
  return impl.addWithIdsSync !== ix.Index.prototype.addWithIdsSync;
}

/** Rows read from a file: n vectors of d dimensions, `width` values each (d floats, or d / 8 bytes for binary). */
interface Rows {
  n: number;
  d: number;
  width: number;
  data: Float32Array | Uint8Array;
  describe: string;
}

/** What build needs of an index object (float or binary). */
type BuildTarget = Pick<ix.Index, 'isTrained' | 'ntotal' | 'train' | 'add' | 'addWithIds' | 'addWithIdsSync' | 'memoryBytes'>;

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CliError('ABORTED', 'interrupted: nothing was written', undefined);
}

export async function buildCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = ctx.parse({
    factory: { type: 'string', short: 'f' },
    input: { type: 'string', short: 'i' },
    train: { type: 'string' },
    ids: { type: 'string' },
    out: { type: 'string', short: 'o' },
    dim: { type: 'string' },
    metric: { type: 'string' },
    batch: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])} for \`metalfaiss build\``, 'the inputs are options: --input FILE --out FILE');
  const factory = requireOption(values, 'factory', 'build', '"IVF1024,PQ16"');
  const input = requireOption(values, 'input', 'build', 'base.npy');
  const out = requireOption(values, 'out', 'build', 'index.faiss');
  const trainPath = stringOption(values, 'train');
  const idsPath = stringOption(values, 'ids');
  const dim = intOption(values, 'dim', undefined, 1, 1 << 20);
  const metric = parseMetricOption(stringOption(values, 'metric'));
  const batchRows = intOption(values, 'batch', undefined, 1);
  const quiet = values.quiet === true || values.json === true;
  const log = (line: string): void => {
    if (!quiet) ctx.stderr.write(line + '\n');
  };
  const notes: string[] = [];
  // Fail on an unwritable destination now, not after a long training.
  const outDir = dirname(resolve(out));
  let dirOk = false;
  try {
    dirOk = statSync(outDir).isDirectory();
  } catch {
    dirOk = false;
  }
  if (!dirOk) throw new CliError('INVALID_ARGUMENT', `expected an existing directory for --out ${JSON.stringify(out)}, received ${JSON.stringify(outDir)} (no such directory)`, 'create the directory first');

  const t0 = performance.now();
  const binary = isBinaryFactory(factory);
  // the rows to add: float vectors (d values each) or packed binary codes (d / 8 bytes each)
  const readRows = (path: string, role: string): Rows => {
    if (!binary) {
      const v = readVectors(path, { role, dim });
      return { n: v.n, d: v.d, width: v.d, data: v.data, describe: `${v.file.format}, ${v.file.dtype}${v.conversion ? `; ${v.conversion}` : ''}` };
    }
    const f = readArrayFile(path, { role, dim });
    if (f.dtype !== 'uint8') {
      throw new CliError('INVALID_ARGUMENT', `expected uint8 codes (d / 8 bytes per vector) for ${role} of the binary index "${factory}", received ${f.dtype} data in ${JSON.stringify(path)}`, 'pass packed bits as .bvecs, .u8bin, uint8 .npy or raw .u8');
    }
    return { n: f.n, d: f.d * 8, width: f.d, data: f.data as Uint8Array, describe: `${f.format}, ${f.d}-byte codes = ${f.d * 8} bits` };
  };
  const xb = readRows(input, '--input');
  if (xb.n === 0) throw new CliError('INVALID_ARGUMENT', `expected at least one vector in --input ${JSON.stringify(input)}, received none`, 'pass a non-empty file');
  log(`input: ${xb.n} x ${binary ? `${xb.d} bits` : xb.d} from ${input} (${xb.describe})`);
  let xt: Rows | null = null;
  if (trainPath !== undefined) {
    xt = readRows(trainPath, '--train');
    if (xt.d !== xb.d) {
      throw new CliError('DIMENSION_MISMATCH', `expected --train vectors of d = ${xb.d} (the --input's dimension), received d = ${xt.d} in ${JSON.stringify(trainPath)}`, 'train on vectors of the same dataset as --input');
    }
    log(`train: ${xt.n} x ${xt.d} from ${trainPath}`);
  }
  const ids = idsPath !== undefined ? readIds(idsPath, xb.n) : null;

  let impl: BuildTarget;
  if (binary) {
    impl = makeBinaryIndex(xb.d, factory);
    if (ids && impl.addWithIdsSync === ix.IndexBinary.prototype.addWithIdsSync) {
      impl = new ix.IndexBinaryIDMap(impl as unknown as ix.IndexBinary) as unknown as BuildTarget;
      notes.push(`"${factory}" does not store ids, so it was wrapped in an IndexBinaryIDMap (as "IDMap,${factory}" would)`);
    }
  } else {
    let index: Index = makeIndex(xb.d, factory, metric);
    if (ids && !storesIds(index.impl)) {
      const inner = index;
      index = new IndexIDMap(inner);
      notes.push(`"${factory}" does not store ids, so it was wrapped in an IndexIDMap (as the factory string "IDMap,${factory}" would)`);
    }
    impl = index.impl as unknown as BuildTarget;
  }
  for (const n of notes) log(`note: ${n}`);

  // ---- train
  let trainSeconds = 0;
  if (!impl.isTrained) {
    const x = xt ?? xb;
    checkAborted(ctx.signal);
    const p = new Progress(ctx.stderr, `train "${factory}" on ${formatCount(x.n)} vectors`, null, { quiet });
    const s = performance.now();
    try {
      // quantizer indexes report progress (k-means iterations, sub-quantizers); others ignore onProgress
      const onProgress = (r: { step?: string; done?: number; total?: number }): void => {
        if (typeof r?.done === 'number' && typeof r?.total === 'number' && r.total > 0) p.report(r.step ?? '', r.done, r.total);
      };
      await impl.train(x.data as Float32Array, { signal: ctx.signal, onProgress } as ix.AsyncOptions);
    } catch (e) {
      p.abandon('failed');
      throw e;
    }
    trainSeconds = (performance.now() - s) / 1000;
    p.finish(`done in ${formatSeconds(trainSeconds)}`);
  } else if (xt) {
    notes.push(`"${factory}" needs no training; --train was not used`);
    log(`note: ${notes[notes.length - 1]}`);
  }

  // ---- add, in batches
  const d = xb.width;
  const batch = batchRows ?? Math.max(1024, Math.min(65536, Math.ceil(xb.n / 20)));
  const p = new Progress(ctx.stderr, `add to "${factory}"`, xb.n, { quiet, unit: 'vectors' });
  const s = performance.now();
  try {
    for (let i0 = 0; i0 < xb.n; i0 += batch) {
      checkAborted(ctx.signal);
      const i1 = Math.min(xb.n, i0 + batch);
      const chunk = xb.data.subarray(i0 * d, i1 * d) as Float32Array;
      if (ids) await impl.addWithIds(chunk, ids.subarray(i0, i1), { signal: ctx.signal });
      else await impl.add(chunk, { signal: ctx.signal });
      p.update(i1);
    }
  } catch (e) {
    p.abandon('failed');
    throw e;
  }
  const addSeconds = (performance.now() - s) / 1000;
  p.finish(`${formatCount(xb.n)} vectors in ${formatSeconds(addSeconds)} (${formatCount(xb.n / Math.max(addSeconds, 1e-9))} vectors/s)`);

  // ---- write
  checkAborted(ctx.signal);
  const w = performance.now();
  // (write_index's two steps: the record also names the FAISS class that was built)
  const record = mappingContext.toRecord(impl as object);
  if (binary) io.writeIndexBinaryToFile(record as io.BinaryIndexRecord, out);
  else io.writeIndexToFile(record as io.IndexRecord, out);
  const writeSeconds = (performance.now() - w) / 1000;
  const fileBytes = statSync(out).size;
  const totalSeconds = (performance.now() - t0) / 1000;
  const summary: BuildSummary = {
    factory,
    className: io.CLASS_NAMES[record.fourcc] ?? record.fourcc,
    d: xb.d,
    ntotal: impl.ntotal,
    metric: metric === 1 ? 'l2' : 'ip',
    input,
    trainInput: impl.isTrained && trainSeconds > 0 ? (trainPath ?? input) : null,
    out,
    trainSeconds,
    addSeconds,
    writeSeconds,
    totalSeconds,
    memoryBytes: typeof impl.memoryBytes === 'function' ? impl.memoryBytes() : null,
    fileBytes,
    notes,
  };
  if (values.json) {
    ctx.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  }
  ctx.stdout.write(
    [
      `built ${summary.className} (--factory ${JSON.stringify(factory)}, d = ${xb.d}${binary ? ' bits, Hamming' : `, metric ${summary.metric}`}) with ${summary.ntotal} vectors -> ${out} (${formatBytes(fileBytes)})`,
      `timings: train ${trainSeconds > 0 ? formatSeconds(trainSeconds) : '- (not needed)'}, add ${formatSeconds(addSeconds)}, write ${formatSeconds(writeSeconds)}, total ${formatSeconds(totalSeconds)} (including reading the inputs)`,
      ...(summary.memoryBytes !== null ? [`memory: ${formatBytes(summary.memoryBytes)} held by the index`] : []),
    ].join('\n') + '\n',
  );
  return 0;
}
