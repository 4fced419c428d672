import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileError } from '../errors';

/** A parsed IDX tensor (the MNIST file format), converted to float32. */
export interface IdxTensor {
  /** sizes, outermost first: [n, rows, cols] for images, [n] for labels */
  shape: number[];
  /** row-major values; uint8 images become 0..255 */
  data: Float32Array;
  /** the element type named by the file's third magic byte */
  dtype: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
}

const DTYPES: Record<number, { name: IdxTensor['dtype']; size: number }> = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

/**
 * Parses IDX bytes: magic 0x00 0x00 <dtype> <ndims>, ndims big-endian uint32
 * sizes, then the big-endian values. `file` only names the source in errors.
 * Gzipped input (magic 1f 8b) is inflated first.
 */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxTensor {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (cause) {
      throw fileError(file, 'a complete gzip stream', `a corrupt or truncated gzip stream (${(cause as Error).message})`, undefined, cause);
    }
  }
  if (buf.length < 4) throw fileError(file, 'an IDX header of at least 4 bytes', `${buf.length} bytes`);
  const dt = DTYPES[buf[2]];
  if (buf[0] !== 0 || buf[1] !== 0 || dt === undefined || buf[3] === 0) {
    const magic = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw fileError(file, 'IDX magic 00 00 <08|09|0b|0c|0d|0e> <ndims>', `magic ${magic}`);
  }
  const ndims = buf[3];
  const headerLen = 4 + 4 * ndims;
  if (buf.length < headerLen) throw fileError(file, `an IDX header of ${headerLen} bytes`, `${buf.length} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const s = view.getUint32(4 + 4 * i, false);
    shape.push(s);
    count *= s;
  }
  const expectedLen = headerLen + count * dt.size;
  if (buf.length !== expectedLen) {
    throw fileError(
      file,
      `${expectedLen} bytes (shape ${shape.join('x')} of ${dt.name})`,
      `${buf.length} bytes${buf.length < expectedLen ? ' (truncated)' : ' (trailing data)'}`,
    );
  }
  const data = new Float32Array(count);
  const p = headerLen;
  switch (dt.name) {
    case 'uint8':
      for (let i = 0; i < count; i++) data[i] = buf[p + i];
      break;
    case 'int8':
      for (let i = 0; i < count; i++) data[i] = view.getInt8(p + i);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) data[i] = view.getInt16(p + 2 * i, false);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) data[i] = view.getInt32(p + 4 * i, false);
      break;
    case 'float32':
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(p + 4 * i, false);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(p + 8 * i, false);
      break;
  }
  return { shape, data, dtype: dt.name };
}

/** Reads and parses an IDX file (gzipped or not). */
export function readIdx(file: string, hint?: string): IdxTensor {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'an error';
    throw fileError(file, 'a readable IDX file', code === 'ENOENT' ? 'no such file' : `${code}`, hint, cause);
  }
  return parseIdx(bytes, file);
}

/** Encodes a uint8 tensor as IDX bytes (for tests and fixtures). */
export function encodeIdxUint8(shape: number[], values: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  const view = new DataView(header.buffer);
  shape.forEach((s, i) => view.setUint32(4 + 4 * i, s, false));
  const out = new Uint8Array(header.length + values.length);
  out.set(header, 0);
  out.set(values, header.length);
  return out;
}
