/**
 * Array files the `metalfaiss` command reads and writes, chosen by extension:
 *
 * | extension                 | layout                                                     | dtypes              |
 * | ------------------------- | ---------------------------------------------------------- | ------------------- |
 * | `.npy`                    | NumPy format 1.0/2.0/3.0, C order, little-endian, 1-D/2-D  | float32, uint8, int64 (int32 for ids and labels) |
 * | `.fvecs` `.ivecs` `.bvecs`| TEXMEX: per row an int32 d, then d float32 / int32 / uint8  | float32, int32, uint8 |
 * | `.fbin` `.u8bin` `.ibin`  | big-ann-benchmarks: int32 n, int32 d, then n*d values      | float32, uint8, int32 |
 * | `.f32` `.u8` `.i32` `.i64`| raw little-endian row-major values, no header (`--dim D`)  | as the extension says |
 *
 * Files are read through a file descriptor straight into the result's typed
 * array (no whole-file buffer), so inputs larger than 2 GiB work and peak
 * memory stays about the data size. Every problem is a CliError naming the
 * file, what was expected and what was found, with a hint.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { extname } from 'node:path';
import { CliError, fileOpenError, usageError } from './errors';

export type DType = 'float32' | 'uint8' | 'int32' | 'int64';

export type TypedData = Float32Array | Uint8Array | Int32Array | BigInt64Array;

/** A 2-D array read from a file: n rows of d values. */
export interface ArrayFile {
  path: string;
  /** 'npy', 'fvecs', 'ivecs', 'bvecs', 'fbin', 'u8bin', 'ibin' or 'raw' */
  format: string;
  dtype: DType;
  n: number;
  d: number;
  /** n * d values, row-major */
  data: TypedData;
  /** the dimensions as stored (npy shape; [n, d] otherwise) */
  shape: number[];
}

export interface ReadOptions {
  /** what the file is, for messages: 'the queries', '--train', ... */
  role?: string;
  /** row length for raw files (and for reshaping a 1-D .npy) */
  dim?: number;
}

const ITEM_SIZE: Record<DType, number> = { float32: 4, uint8: 1, int32: 4, int64: 8 };

const RAW_EXT: Record<string, DType> = { '.f32': 'float32', '.fp32': 'float32', '.u8': 'uint8', '.i32': 'int32', '.i64': 'int64' };
const VECS_EXT: Record<string, DType> = { '.fvecs': 'float32', '.ivecs': 'int32', '.bvecs': 'uint8' };
const BIN_EXT: Record<string, DType> = { '.fbin': 'float32', '.u8bin': 'uint8', '.ibin': 'int32' };

export const SUPPORTED_EXTENSIONS = ['.npy', ...Object.keys(VECS_EXT), ...Object.keys(BIN_EXT), ...Object.keys(RAW_EXT)];

function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new CliError('UNSUPPORTED', 'big-endian hosts are not supported (the array files are little-endian)');
  }
}

function allocate(dtype: DType, count: number, path: string, role: string): TypedData {
  try {
    switch (dtype) {
      case 'float32':
        return new Float32Array(count);
      case 'uint8':
        return new Uint8Array(count);
      case 'int32':
        return new Int32Array(count);
      case 'int64':
        return new BigInt64Array(count);
    }
  } catch (cause) {
    throw new CliError(
      'INVALID_ARGUMENT',
      `expected ${role} to fit in memory, received ${JSON.stringify(path)} with ${count} ${dtype} values (${count * ITEM_SIZE[dtype]} bytes)`,
      'use a smaller file or a machine with more memory',
      { cause },
    );
  }
}

function bytesOf(a: TypedData): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** An open file: size, and exact reads at an offset. */
class InFile {
  readonly fd: number;
  readonly size: number;

  constructor(readonly path: string, readonly role: string) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (cause) {
      throw fileOpenError(path, role, cause);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw fileOpenError(path, role, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
      this.size = st.size;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fd = fd;
  }

  /** Fills `into` from byte `position` (chunks of at most 1 GiB per read call). */
  read(into: Uint8Array, position: number): void {
    let done = 0;
    while (done < into.length) {
      const len = Math.min(into.length - done, 1 << 30);
      let got: number;
      try {
        got = readSync(this.fd, into, done, len, position + done);
      } catch (cause) {
        throw fileOpenError(this.path, this.role, cause);
      }
      if (got === 0) {
        throw new CliError('IO_FORMAT', `expected ${into.length} bytes at offset ${position} of ${JSON.stringify(this.path)} (${this.role}), received end of file`, 'the file is truncated');
      }
      done += got;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

function formatError(file: InFile, expected: string, received: string, hint?: string): CliError {
  return new CliError('IO_FORMAT', `expected ${expected} in ${JSON.stringify(file.path)} (${file.role}), received ${received}`, hint);
}

// ---------------------------------------------------------------- .npy

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const NPY_DTYPES: Record<string, DType> = {
  '<f4': 'float32',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '>u1': 'uint8',
  u1: 'uint8',
  '<i8': 'int64',
  '<i4': 'int32',
};

/** Advice for NumPy dtypes we refuse. */
function npyDtypeHint(descr: string): string {
  if (/^[<>|=]?f/.test(descr)) return "convert it in Python with x.astype('float32')";
  if (/^[<>|=]?[iu]/.test(descr)) return "convert it in Python with x.astype('int64') (ids, labels) or x.astype('float32') (vectors)";
  return "save a float32, uint8 or int64 array (x.astype('float32'))";
}

interface NpyHeader {
  dtype: DType;
  shape: number[];
  dataOffset: number;
}

function parseNpyHeader(file: InFile): NpyHeader {
  if (file.size < 10) throw formatError(file, 'a .npy file (the \\x93NUMPY magic and a header)', `${file.size} bytes`);
  const pre = new Uint8Array(12);
  file.read(pre.subarray(0, Math.min(12, file.size)), 0);
  for (let i = 0; i < NPY_MAGIC.length; i++) {
    if (pre[i] !== NPY_MAGIC[i]) throw formatError(file, 'the .npy magic \\x93NUMPY at the start', 'other bytes (not a .npy file)', 'save the array with numpy.save');
  }
  const major = pre[6];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = pre[8] | (pre[9] << 8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (file.size < 12) throw formatError(file, 'a .npy 2.0 header length', `${file.size} bytes`);
    headerLen = new DataView(pre.buffer).getUint32(8, true);
    headerStart = 12;
  } else {
    throw formatError(file, '.npy format version 1, 2 or 3', `version ${major}.${pre[7]}`);
  }
  if (headerStart + headerLen > file.size) throw formatError(file, `a .npy header of ${headerLen} bytes`, `a ${file.size}-byte file`, 'the file is truncated');
  const hb = new Uint8Array(headerLen);
  file.read(hb, headerStart);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(hb);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  if (descr === undefined) {
    throw formatError(file, "a plain dtype in the .npy header ('descr': '<f4')", `header ${JSON.stringify(header.trim().slice(0, 120))} (a structured dtype?)`, "save a plain float32/uint8/int64 array");
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  if (fortran === 'True') {
    throw formatError(file, 'a C-order array (fortran_order False)', 'a Fortran-order array', 'save numpy.ascontiguousarray(x) instead');
  }
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) throw formatError(file, "a shape in the .npy header ('shape': (n, d))", `header ${JSON.stringify(header.trim().slice(0, 120))}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((v) => !Number.isSafeInteger(v) || v < 0)) throw formatError(file, 'non-negative integer dimensions', `shape (${shapeText})`);
  const dtype = NPY_DTYPES[descr];
  if (dtype === undefined) {
    const big = descr.startsWith('>') && NPY_DTYPES['<' + descr.slice(1)] !== undefined;
    throw formatError(
      file,
      'float32, uint8 or int64 data (dtype <f4, |u1 or <i8)',
      `dtype ${descr}${big ? ' (big-endian)' : ''}`,
      big ? "convert it in Python with x.astype('<" + descr.slice(1) + "')" : npyDtypeHint(descr),
    );
  }
  return { dtype, shape, dataOffset: headerStart + headerLen };
}

function readNpy(file: InFile, opts: ReadOptions): ArrayFile {
  const h = parseNpyHeader(file);
  if (h.shape.length === 0 || h.shape.length > 2) {
    throw formatError(file, 'a 1-D or 2-D array', `shape (${h.shape.join(', ')})`, 'reshape it to (n, d) in Python');
  }
  const count = h.shape.reduce((a, b) => a * b, 1);
  const want = h.dataOffset + count * ITEM_SIZE[h.dtype];
  if (file.size !== want) {
    throw formatError(
      file,
      `${want} bytes (header + ${h.shape.join(' x ')} ${h.dtype})`,
      `${file.size} bytes`,
      file.size < want ? 'the file is truncated' : 'the file has trailing bytes; re-save it with numpy.save',
    );
  }
  let n: number;
  let d: number;
  if (h.shape.length === 2) {
    [n, d] = h.shape;
    if (opts.dim !== undefined && opts.dim !== d) {
      throw new CliError('DIMENSION_MISMATCH', `expected rows of --dim ${opts.dim} values in ${JSON.stringify(file.path)} (${file.role}), received shape (${n}, ${d})`, 'drop --dim for .npy files (their shape says d)');
    }
  } else if (opts.dim !== undefined) {
    d = opts.dim;
    if (count % d !== 0) throw formatError(file, `a length that is a multiple of --dim ${d}`, `shape (${count},)`);
    n = count / d;
  } else {
    n = 1;
    d = count;
  }
  const data = allocate(h.dtype, count, file.path, file.role);
  file.read(bytesOf(data), h.dataOffset);
  return { path: file.path, format: 'npy', dtype: h.dtype, n, d, data, shape: h.shape };
}

// ---------------------------------------------------------------- .fvecs / .ivecs / .bvecs

function readVecs(file: InFile, dtype: DType, ext: string): ArrayFile {
  const es = ITEM_SIZE[dtype];
  if (file.size === 0) return { path: file.path, format: ext.slice(1), dtype, n: 0, d: 0, data: allocate(dtype, 0, file.path, file.role), shape: [0, 0] };
  if (file.size < 4) throw formatError(file, `a ${ext} file (int32 d, then d values per vector)`, `${file.size} bytes`);
  const head = new Uint8Array(4);
  file.read(head, 0);
  const d = new DataView(head.buffer).getInt32(0, true);
  if (d <= 0 || d > 1 << 20) throw formatError(file, `a ${ext} file whose first int32 is a dimension in [1, 2^20]`, `${d}`, `is it really ${ext}?`);
  const stride = 4 + d * es;
  if (file.size % stride !== 0) {
    throw formatError(file, `a size that is a multiple of ${stride} bytes (4 + d = ${d} values of ${es} bytes)`, `${file.size} bytes`, `the file is truncated or not ${ext}`);
  }
  const n = file.size / stride;
  const data = allocate(dtype, n * d, file.path, file.role);
  const out = bytesOf(data);
  const rowsPerChunk = Math.max(1, Math.floor((16 << 20) / stride));
  const scratch = new Uint8Array(Math.min(n, rowsPerChunk) * stride);
  const view = new DataView(scratch.buffer);
  for (let r0 = 0; r0 < n; r0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, n - r0);
    const chunk = scratch.subarray(0, rows * stride);
    file.read(chunk, r0 * stride);
    for (let i = 0; i < rows; i++) {
      const di = view.getInt32(i * stride, true);
      if (di !== d) throw formatError(file, `d = ${d} for every vector`, `d = ${di} at vector ${r0 + i}`);
      out.set(chunk.subarray(i * stride + 4, (i + 1) * stride), (r0 + i) * d * es);
    }
  }
  return { path: file.path, format: ext.slice(1), dtype, n, d, data, shape: [n, d] };
}

// ---------------------------------------------------------------- .fbin / .u8bin / .ibin

function readBin(file: InFile, dtype: DType, ext: string): ArrayFile {
  if (file.size < 8) throw formatError(file, `a ${ext} file (int32 n, int32 d, then n * d values)`, `${file.size} bytes`);
  const head = new Uint8Array(8);
  file.read(head, 0);
  const v = new DataView(head.buffer);
  const n = v.getInt32(0, true);
  const d = v.getInt32(4, true);
  if (n < 0 || d <= 0 || d > 1 << 20) throw formatError(file, `a ${ext} header with n >= 0 and d in [1, 2^20]`, `n = ${n}, d = ${d}`);
  const want = 8 + n * d * ITEM_SIZE[dtype];
  if (file.size !== want) throw formatError(file, `${want} bytes (8 + ${n} x ${d} ${dtype})`, `${file.size} bytes`, file.size < want ? 'the file is truncated' : `is it really ${ext}?`);
  const data = allocate(dtype, n * d, file.path, file.role);
  file.read(bytesOf(data), 8);
  return { path: file.path, format: ext.slice(1), dtype, n, d, data, shape: [n, d] };
}

// ---------------------------------------------------------------- raw

function readRaw(file: InFile, dtype: DType, ext: string, dim: number | undefined): ArrayFile {
  if (dim === undefined) {
    throw usageError(`expected --dim D for the raw ${ext} file ${JSON.stringify(file.path)} (${file.role}), received no --dim`, `a raw file has no header: pass its row length, e.g. --dim 128`);
  }
  const es = ITEM_SIZE[dtype];
  if (file.size % (dim * es) !== 0) {
    throw formatError(file, `a size that is a multiple of ${dim * es} bytes (--dim ${dim} ${dtype} values per row)`, `${file.size} bytes`, 'check --dim');
  }
  const n = file.size / (dim * es);
  const data = allocate(dtype, n * dim, file.path, file.role);
  file.read(bytesOf(data), 0);
  return { path: file.path, format: 'raw', dtype, n, d: dim, data, shape: [n, dim] };
}

/** Reads any supported array file as n rows of d values, keeping its dtype. */
export function readArrayFile(path: string, opts: ReadOptions = {}): ArrayFile {
  assertLittleEndianHost();
  const role = opts.role ?? 'the input';
  if (opts.dim !== undefined && (!Number.isInteger(opts.dim) || opts.dim < 1 || opts.dim > 1 << 20)) {
    throw usageError(`expected an integer in [1, 1048576] for --dim, received ${String(opts.dim)}`);
  }
  const ext = extname(path).toLowerCase();
  const known = ext === '.npy' || ext in VECS_EXT || ext in BIN_EXT || ext in RAW_EXT;
  if (!known) {
    throw usageError(
      `expected a file ending in ${SUPPORTED_EXTENSIONS.join(', ')} for ${role}, received ${JSON.stringify(path)}`,
      'the extension decides the format; rename the file or convert it (numpy.save gives .npy)',
    );
  }
  const file = new InFile(path, role);
  try {
    if (ext === '.npy') return readNpy(file, opts);
    if (ext in VECS_EXT) {
      const r = readVecs(file, VECS_EXT[ext], ext);
      checkDimOption(r, opts.dim, file);
      return r;
    }
    if (ext in BIN_EXT) {
      const r = readBin(file, BIN_EXT[ext], ext);
      checkDimOption(r, opts.dim, file);
      return r;
    }
    return readRaw(file, RAW_EXT[ext], ext, opts.dim);
  } finally {
    file.close();
  }
}

function checkDimOption(r: ArrayFile, dim: number | undefined, file: InFile): void {
  if (dim !== undefined && r.n > 0 && dim !== r.d) {
    throw new CliError('DIMENSION_MISMATCH', `expected rows of --dim ${dim} values in ${JSON.stringify(file.path)} (${file.role}), received d = ${r.d}`, `drop --dim for ${r.format} files (they store d)`);
  }
}

export interface Vectors {
  n: number;
  d: number;
  /** n * d float32 values */
  data: Float32Array;
  /** how the file's values were converted (e.g. "uint8 converted to float32"), or null */
  conversion: string | null;
  file: ArrayFile;
}

/** Reads vectors for a float index: float32 as is, uint8 (bvecs, SIFT1B) converted to float32. */
export function readVectors(path: string, opts: ReadOptions = {}): Vectors {
  const f = readArrayFile(path, opts);
  const role = opts.role ?? 'the input';
  if (f.dtype === 'float32') return { n: f.n, d: f.d, data: f.data as Float32Array, conversion: null, file: f };
  if (f.dtype === 'uint8') {
    return { n: f.n, d: f.d, data: Float32Array.from(f.data as Uint8Array), conversion: 'uint8 values converted to float32', file: f };
  }
  throw new CliError(
    'INVALID_ARGUMENT',
    `expected float32 or uint8 vectors for ${role}, received ${f.dtype} data in ${JSON.stringify(path)}`,
    f.dtype === 'int64' || f.dtype === 'int32' ? 'integer files hold ids or labels (--ids, --gt), not vectors' : undefined,
  );
}

/** Reads integer labels (ids, ground truth) as n rows of k int64 values. */
export function readLabels(path: string, opts: ReadOptions = {}): { n: number; k: number; labels: BigInt64Array; file: ArrayFile } {
  const f = readArrayFile(path, opts);
  const role = opts.role ?? 'the labels';
  if (f.dtype === 'int64') return { n: f.n, k: f.d, labels: f.data as BigInt64Array, file: f };
  if (f.dtype === 'int32') {
    const src = f.data as Int32Array;
    const labels = new BigInt64Array(src.length);
    for (let i = 0; i < src.length; i++) labels[i] = BigInt(src[i]);
    return { n: f.n, k: f.d, labels, file: f };
  }
  throw new CliError(
    'INVALID_ARGUMENT',
    `expected int64 or int32 values for ${role}, received ${f.dtype} data in ${JSON.stringify(path)}`,
    "save them with x.astype('int64') (.npy) or as .ivecs",
  );
}

/**
 * Reads one id per vector: a 1-D array of n values, or n rows of one value.
 * Raw .i64/.i32 files need no --dim (one id per row).
 */
export function readIds(path: string, n: number, role = '--ids'): BigInt64Array {
  const ext = extname(path).toLowerCase();
  const raw = ext === '.i64' || ext === '.i32';
  const r = readLabels(path, { role, dim: raw ? 1 : undefined });
  const count = r.n * r.k;
  const oneColumn = r.k === 1 || r.file.shape.length === 1;
  if (!oneColumn || count !== n) {
    throw new CliError(
      'DIMENSION_MISMATCH',
      `expected ${n} ids (one per vector) in ${JSON.stringify(path)} (${role}), received ${r.file.shape.length === 1 ? `${count} values` : `${r.n} rows of ${r.k}`}`,
      'pass a 1-D array with one int64 id per input vector',
    );
  }
  return r.labels;
}

// ---------------------------------------------------------------- writers

function npyDescr(data: TypedData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int32Array) return '<i4';
  return '<i8';
}

/** The bytes of a .npy file (format 1.0, C order) holding data with the given shape. */
export function encodeNpy(data: TypedData, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw usageError(`expected ${count} values for shape (${shape.join(', ')}), received ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${npyDescr(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(bytesOf(data), 10 + header.length);
  return out;
}

/** The bytes of a .fvecs (Float32Array) or .ivecs (Int32Array) file of n rows of d values. */
export function encodeVecs(data: Float32Array | Int32Array, d: number): Uint8Array {
  const n = data.length / d;
  const out = new Uint8Array(n * (4 + 4 * d));
  const view = new DataView(out.buffer);
  const src = bytesOf(data);
  for (let i = 0; i < n; i++) {
    view.setInt32(i * (4 + 4 * d), d, true);
    out.set(src.subarray(i * d * 4, (i + 1) * d * 4), i * (4 + 4 * d) + 4);
  }
  return out;
}

/** Writes bytes to a file (created or truncated), reporting failures as CliError. */
export function writeBytes(path: string, bytes: Uint8Array, role = '--out'): void {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new CliError(
      'INVALID_ARGUMENT',
      `expected a writable path for ${role}, received ${JSON.stringify(path)} (${code === 'ENOENT' ? 'its directory does not exist' : code ?? String(cause)})`,
      code === 'ENOENT' ? 'create the directory first' : undefined,
      { cause },
    );
  }
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
  } finally {
    closeSync(fd);
  }
}
