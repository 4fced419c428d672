/**
 * The encoder: turns a record into a list of byte chunks without building
 * one big buffer. Scalars and small arrays are packed into scratch chunks;
 * large typed arrays are emitted as views over their own memory (no copy),
 * so writing a 188 MB flat index to a file needs no extra 188 MB.
 *
 * Records are checked as they are encoded; a bad record throws
 * INVALID_ARGUMENT naming the field path before any byte reaches a file.
 */
import { MetalFaissError, describeValue } from './errors';
import { MAX_NESTING_DEPTH } from './cursor';
import { fourccToU32 } from './fourcc';

const SCRATCH = 1 << 16;
/** Typed arrays at least this large are emitted as views instead of being copied. */
const VIEW_THRESHOLD = 1 << 12;

type TypedArray =
  | Uint8Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export class Encoder {
  private readonly chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(SCRATCH);
  private view = new DataView(this.scratch.buffer);
  private pos = 0;
  private emitted = 0;
  private readonly path: string[] = [];
  /** When set, the byte offset after every field is recorded (used by the fuzz tests). */
  boundaries: number[] | undefined;

  /** Bytes encoded so far. */
  get length(): number {
    return this.emitted + this.pos;
  }

  enter(name: string): void {
    // records are plain objects: guard against cycles and absurd nesting
    if (this.path.length >= 4 * MAX_NESTING_DEPTH) {
      this.fail('', `at most ${MAX_NESTING_DEPTH} nested records (is the record cyclic?)`, `nesting deeper than ${this.path.length}`);
    }
    this.path.push(name);
  }

  leave(): void {
    this.path.pop();
  }

  where(field: string): string {
    const p = this.path.join(' > ');
    return p ? (field ? `${p} > ${field}` : p) : field;
  }

  /** Throws INVALID_ARGUMENT: "expected <expected> for <path> <field>, received <value>". */
  fail(field: string, expected: string, received: unknown): never {
    const got = typeof received === 'string' ? received : describeValue(received);
    throw new MetalFaissError('INVALID_ARGUMENT', `expected ${expected} for ${this.where(field)}, received ${got}`);
  }

  /** Checks that a value is an integer in [min, max]. */
  int(value: unknown, field: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `an integer in [${min}, ${max}]`, value);
    }
    return value;
  }

  private room(n: number): void {
    if (this.scratch.length - this.pos < n) this.flush(n);
  }

  private flush(minNext = 0): void {
    if (this.pos > 0) {
      this.chunks.push(this.scratch.subarray(0, this.pos));
      this.emitted += this.pos;
      this.scratch = this.scratch.subarray(this.pos);
      this.pos = 0;
    }
    if (this.scratch.length < Math.max(minNext, 64)) this.scratch = new Uint8Array(Math.max(SCRATCH, minNext));
    this.view = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.byteLength);
  }

  private mark(): void {
    if (this.boundaries) this.boundaries.push(this.length);
  }

  u8(value: number): void {
    this.room(1);
    this.scratch[this.pos++] = value;
    this.mark();
  }

  bool(value: unknown, field: string): void {
    if (typeof value !== 'boolean') this.fail(field, 'a boolean', value);
    this.u8(value ? 1 : 0);
  }

  i32(value: unknown, field: string, min = -2147483648, max = 2147483647): void {
    const v = this.int(value, field, min, max);
    this.room(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
    this.mark();
  }

  u32(value: number): void {
    this.room(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
    this.mark();
  }

  f32(value: unknown, field: string): void {
    if (typeof value !== 'number') this.fail(field, 'a number', value);
    this.room(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    this.mark();
  }

  f64(value: unknown, field: string): void {
    if (typeof value !== 'number') this.fail(field, 'a number', value);
    this.room(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    this.mark();
  }

  /** A signed 64-bit integer from a safe JS integer. */
  i64(value: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): void {
    const v = this.int(value, field, min, max);
    this.room(8);
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296);
    this.view.setUint32(this.pos, lo, true);
    this.view.setInt32(this.pos + 4, hi, true);
    this.pos += 8;
    this.mark();
  }

  /** An unsigned 64-bit integer from a safe non-negative JS integer. */
  u64(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): void {
    const v = this.int(value, field, 0, max);
    this.room(8);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / 4294967296), true);
    this.pos += 8;
    this.mark();
  }

  fourcc(code: string): void {
    this.u32(fourccToU32(code));
  }

  /** Raw bytes of a typed array (no count). Large arrays become views, not copies. */
  raw(data: TypedArray): void {
    const n = data.byteLength;
    if (n === 0) {
      this.mark();
      return;
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, n);
    if (n >= VIEW_THRESHOLD) {
      this.flush();
      this.chunks.push(bytes);
      this.emitted += n;
    } else {
      this.room(n);
      this.scratch.set(bytes, this.pos);
      this.pos += n;
    }
    this.mark();
  }

  /** Checks that `data` is an instance of `ctor`, optionally with an exact length. */
  typed<T extends TypedArray>(
    data: unknown,
    ctor: { new (n: number): T; readonly name: string },
    field: string,
    length?: number,
    lengthText?: string,
  ): T {
    if (!(data instanceof ctor)) this.fail(field, `a ${ctor.name}`, data);
    if (length !== undefined && data.length !== length) {
      this.fail(field, `a ${ctor.name} of length ${lengthText ?? length}`, data);
    }
    return data;
  }

  /** A FAISS vector<T>: u64 element count, then the elements. */
  vector<T extends TypedArray>(
    data: unknown,
    ctor: { new (n: number): T; readonly name: string },
    field: string,
    length?: number,
    lengthText?: string,
  ): void {
    const arr = this.typed(data, ctor, field, length, lengthText);
    this.u64(arr.length, field + ' length');
    this.raw(arr);
  }

  /** The finished chunks (views over scratch buffers and over the record's arrays). */
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}

/** Concatenates chunks into one new buffer. */
export function concatChunks(chunks: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
