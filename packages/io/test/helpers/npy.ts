/**
 * Minimal reader for NumPy .npy files (format 1.0/2.0/3.0, little-endian,
 * C order), enough for the arrays the FAISS fixture script saves.
 */
import { readFileSync } from 'node:fs';

export type NpyArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array
  | Int8Array;

export interface Npy {
  descr: string;
  shape: number[];
  data: NpyArray;
}

const TYPES: Record<string, { new (b: ArrayBuffer): NpyArray; BYTES_PER_ELEMENT: number }> = {
  '<f4': Float32Array,
  '<f8': Float64Array,
  '<i4': Int32Array,
  '<u4': Uint32Array,
  '<i8': BigInt64Array,
  '<u8': BigUint64Array,
  '|u1': Uint8Array,
  '<u1': Uint8Array,
  '|i1': Int8Array,
};

export function readNpy(path: string): Npy {
  const buf = readFileSync(path);
  if (buf.readUInt32BE(0) !== 0x934e554d || buf.toString('latin1', 4, 6) !== 'PY') throw new Error(`${path}: not an npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${path}: bad npy header ${header}`);
  if (fortran === 'True') throw new Error(`${path}: Fortran order not supported`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const ctor = TYPES[descr];
  if (!ctor) throw new Error(`${path}: dtype ${descr} not supported`);
  const body = buf.subarray(start + headerLen);
  const copy = new ArrayBuffer(body.length);
  new Uint8Array(copy).set(body);
  return { descr, shape, data: new ctor(copy) };
}
