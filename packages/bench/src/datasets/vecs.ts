/**
 * The TEXMEX vector formats (SIFT1M and friends), little-endian:
 *   .fvecs: per vector an int32 d, then d float32
 *   .ivecs: per vector an int32 d, then d int32
 *   .bvecs: per vector an int32 d, then d uint8
 * and raw .f32: compact row-major float32 with no header (d known elsewhere).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { checkInteger, fileError, invalidArgument } from '../errors';

export type VecsKind = 'fvecs' | 'ivecs' | 'bvecs';

export interface VecsMatrix<T extends Float32Array | Int32Array | Uint8Array> {
  /** number of vectors */
  n: number;
  d: number;
  /** n * d, row-major */
  data: T;
}

const ELEMENT_SIZE: Record<VecsKind, number> = { fvecs: 4, ivecs: 4, bvecs: 1 };

function readBytes(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw fileError(file, `a readable ${what} file`, code === 'ENOENT' ? 'no such file' : String(code ?? cause), undefined, cause);
  }
}

/** Parses .fvecs/.ivecs/.bvecs bytes. maxVectors limits how many are decoded (default all). */
export function parseVecs(bytes: Uint8Array, kind: VecsKind, file = '<buffer>', maxVectors = Infinity): VecsMatrix<Float32Array | Int32Array | Uint8Array> {
  const es = ELEMENT_SIZE[kind];
  if (es === undefined) throw invalidArgument('kind', "'fvecs', 'ivecs' or 'bvecs'", kind);
  if (bytes.length === 0) return { n: 0, d: 0, data: kind === 'fvecs' ? new Float32Array(0) : kind === 'ivecs' ? new Int32Array(0) : new Uint8Array(0) };
  if (bytes.length < 4) throw fileError(file, `a .${kind} file (int32 d, then d values per vector)`, `${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const d = view.getInt32(0, true);
  if (d <= 0 || d > 1 << 20) throw fileError(file, `a .${kind} file whose first int32 is a dimension in [1, 2^20]`, `${d}`);
  const stride = 4 + d * es;
  if (bytes.length % stride !== 0) {
    throw fileError(file, `a size that is a multiple of ${stride} bytes (d=${d})`, `${bytes.length} bytes (truncated or not .${kind})`);
  }
  const n = Math.min(bytes.length / stride, maxVectors);
  const data = kind === 'fvecs' ? new Float32Array(n * d) : kind === 'ivecs' ? new Int32Array(n * d) : new Uint8Array(n * d);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (let i = 0; i < n; i++) {
    const off = i * stride;
    const di = view.getInt32(off, true);
    if (di !== d) throw fileError(file, `d=${d} for every vector`, `d=${di} at vector ${i}`);
    const src = bytes.subarray(off + 4, off + stride);
    if (kind === 'bvecs') {
      (data as Uint8Array).set(src, i * d);
    } else if (little) {
      new Uint8Array(data.buffer, i * d * 4, d * 4).set(src);
    } else {
      for (let j = 0; j < d; j++) {
        if (kind === 'fvecs') (data as Float32Array)[i * d + j] = view.getFloat32(off + 4 + 4 * j, true);
        else (data as Int32Array)[i * d + j] = view.getInt32(off + 4 + 4 * j, true);
      }
    }
  }
  return { n, d, data };
}

export function readFvecs(file: string, maxVectors = Infinity): VecsMatrix<Float32Array> {
  return parseVecs(readBytes(file, '.fvecs'), 'fvecs', file, maxVectors) as VecsMatrix<Float32Array>;
}
export function readIvecs(file: string, maxVectors = Infinity): VecsMatrix<Int32Array> {
  return parseVecs(readBytes(file, '.ivecs'), 'ivecs', file, maxVectors) as VecsMatrix<Int32Array>;
}
export function readBvecs(file: string, maxVectors = Infinity): VecsMatrix<Uint8Array> {
  return parseVecs(readBytes(file, '.bvecs'), 'bvecs', file, maxVectors) as VecsMatrix<Uint8Array>;
}

/** Encodes n vectors of dimension d (data.length = n * d) in the given .*vecs format. */
export function encodeVecs(data: Float32Array | Int32Array | Uint8Array, d: number, kind: VecsKind): Uint8Array {
  checkInteger('d', d, 1, 1 << 20);
  if (data.length % d !== 0) throw invalidArgument('data', `a length that is a multiple of d=${d}`, data);
  const expectedType = kind === 'fvecs' ? Float32Array : kind === 'ivecs' ? Int32Array : Uint8Array;
  if (!(data instanceof expectedType)) throw invalidArgument('data', `a ${expectedType.name} for .${kind}`, data);
  const es = ELEMENT_SIZE[kind];
  const n = data.length / d;
  const stride = 4 + d * es;
  const out = new Uint8Array(n * stride);
  const view = new DataView(out.buffer);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (let i = 0; i < n; i++) {
    const off = i * stride;
    view.setInt32(off, d, true);
    if (kind === 'bvecs' || little) {
      out.set(bytes.subarray(i * d * es, (i + 1) * d * es), off + 4);
    } else {
      for (let j = 0; j < d; j++) {
        if (kind === 'fvecs') view.setFloat32(off + 4 + 4 * j, (data as Float32Array)[i * d + j], true);
        else view.setInt32(off + 4 + 4 * j, (data as Int32Array)[i * d + j], true);
      }
    }
  }
  return out;
}

export function writeFvecs(file: string, data: Float32Array, d: number): void {
  writeFileSync(file, encodeVecs(data, d, 'fvecs'));
}
export function writeIvecs(file: string, data: Int32Array, d: number): void {
  writeFileSync(file, encodeVecs(data, d, 'ivecs'));
}
export function writeBvecs(file: string, data: Uint8Array, d: number): void {
  writeFileSync(file, encodeVecs(data, d, 'bvecs'));
}

/** Reads raw little-endian float32 (.f32) with a known dimension d. */
export function readF32(file: string, d: number): VecsMatrix<Float32Array> {
  checkInteger('d', d, 1, 1 << 20);
  const bytes = readBytes(file, '.f32');
  if (bytes.length % (4 * d) !== 0) {
    throw fileError(file, `raw float32 with a size that is a multiple of ${4 * d} bytes (d=${d})`, `${bytes.length} bytes`);
  }
  const n = bytes.length / (4 * d);
  const data = new Float32Array(n * d);
  new Uint8Array(data.buffer).set(bytes);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n * d; i++) data[i] = view.getFloat32(4 * i, true);
  }
  return { n, d, data };
}

/** Writes raw little-endian float32 (.f32), no header. */
export function writeF32(file: string, data: Float32Array): void {
  writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Converts uint8 vectors (e.g. from .bvecs) to float32 0..255. */
export function bytesToFloat32(data: Uint8Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i];
  return out;
}
