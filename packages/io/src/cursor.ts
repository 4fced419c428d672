/**
 * The bounds-checked reading cursor. Every read checks the bytes that remain
 * before it allocates or copies anything, so a corrupt or hostile header
 * (a vector claiming 2^40 floats, say) fails at once with IO_FORMAT and
 * allocates nothing. Errors name the field, what was expected, what came,
 * the byte offset and the fourcc path ("IwFl > ilar > list 3 ids").
 *
 * All numbers are little-endian. 64-bit sizes and counts come back as JS
 * numbers after a check that they are exact (below 2^53) and in range;
 * 64-bit ids and offsets are read in bulk into BigInt64Array/BigUint64Array.
 */
import type { ByteSource } from './byte-source';
import { MetalFaissError } from './errors';
import { printableFourcc, u32ToFourcc } from './fourcc';

/** Scalars are served from a window of this many bytes (file and stream sources). */
const WINDOW = 1 << 16;

/** Most nested records one file may contain (FAISS main uses the same cap). */
export const MAX_NESTING_DEPTH = 50;

/**
 * Test hook (internal, not exported from the package): called with the byte
 * size of every buffer the reader allocates, so tests can assert that no
 * header makes it allocate more than the input justifies.
 */
let allocationObserver: ((bytes: number) => void) | undefined;
export function setAllocationObserver(fn: ((bytes: number) => void) | undefined): void {
  allocationObserver = fn;
}

type TypedArrayCtor<T> = {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

export class Cursor {
  offset = 0;
  readonly size: number;
  private readonly path: string[] = [];
  private depth = 0;
  private win: Uint8Array;
  private winView: DataView;
  private winStart: number;
  private readonly whole: boolean;

  constructor(private readonly source: ByteSource) {
    this.size = source.size;
    if (source.bytes) {
      this.win = source.bytes;
      this.winStart = 0;
      this.whole = true;
    } else {
      this.win = new Uint8Array(0);
      this.winStart = 0;
      this.whole = false;
    }
    this.winView = new DataView(this.win.buffer, this.win.byteOffset, this.win.byteLength);
  }

  get remaining(): number {
    return this.size - this.offset;
  }

  get sourceName(): string {
    return this.source.name;
  }

  /** Enters a nested record (for messages and the nesting-depth limit). */
  enter(name: string): void {
    if (this.depth >= MAX_NESTING_DEPTH) {
      this.fail('nesting depth', `at most ${MAX_NESTING_DEPTH} nested records`, `a record nested ${this.depth + 1} deep`);
    }
    this.depth++;
    this.path.push(name);
  }

  leave(): void {
    this.depth--;
    this.path.pop();
  }

  /** Adds a label to the path without counting it as a nested record. */
  label(name: string): void {
    this.path.push(name);
  }

  unlabel(): void {
    this.path.pop();
  }

  where(field: string): string {
    const p = this.path.join(' > ');
    return p ? (field ? `${p} > ${field}` : p) : field;
  }

  /** Throws IO_FORMAT: "expected <expected> for <path> <field>, received <received> at byte offset N". */
  fail(field: string, expected: string, received: string, at: number = this.offset): never {
    throw new MetalFaissError(
      'IO_FORMAT',
      `expected ${expected} for ${this.where(field)}, received ${received} at byte offset ${at} of ${this.source.name}`,
    );
  }

  failUnsupported(field: string, what: string, at: number = this.offset): never {
    throw new MetalFaissError(
      'UNSUPPORTED',
      `${what} (${this.where(field)} at byte offset ${at} of ${this.source.name}) is not supported by @metalfaiss/io`,
    );
  }

  /** Makes sure n bytes exist at the cursor (or throws a truncation error). */
  need(n: number, field: string): void {
    if (n > this.size - this.offset) {
      this.fail(field, `${n} more byte${n === 1 ? '' : 's'}`, `end of data (${this.size - this.offset} left)`);
    }
  }

  private scalarView(n: number, field: string): number {
    this.need(n, field);
    const rel = this.offset - this.winStart;
    if (rel >= 0 && rel + n <= this.win.length) return rel;
    // refill the window at the cursor (file/stream sources only)
    const len = Math.min(WINDOW, this.size - this.offset);
    if (this.win.length !== WINDOW || this.whole) {
      this.win = new Uint8Array(WINDOW);
      this.winView = new DataView(this.win.buffer);
    }
    this.source.readInto(this.win.subarray(0, len), this.offset);
    this.winStart = this.offset;
    // a short window at the end of the data: bytes beyond len are stale but never addressed
    return 0;
  }

  u8(field: string): number {
    const r = this.scalarView(1, field);
    this.offset += 1;
    return this.win[r];
  }

  /** A C++ bool: one byte that must be exactly 0 or 1. */
  bool(field: string): boolean {
    const at = this.offset;
    const v = this.u8(field);
    if (v > 1) this.fail(field, 'a bool byte 0 or 1', String(v), at);
    return v === 1;
  }

  i32(field: string): number {
    const r = this.scalarView(4, field);
    this.offset += 4;
    return this.winView.getInt32(r, true);
  }

  u32(field: string): number {
    const r = this.scalarView(4, field);
    this.offset += 4;
    return this.winView.getUint32(r, true);
  }

  f32(field: string): number {
    const r = this.scalarView(4, field);
    this.offset += 4;
    return this.winView.getFloat32(r, true);
  }

  f64(field: string): number {
    const r = this.scalarView(8, field);
    this.offset += 8;
    return this.winView.getFloat64(r, true);
  }

  /** A signed 64-bit integer (idx_t) that must be in [min, max] (both safe integers). */
  i64(field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const at = this.offset;
    const r = this.scalarView(8, field);
    this.offset += 8;
    const lo = this.winView.getUint32(r, true);
    const hi = this.winView.getInt32(r + 4, true);
    const value = hi * 4294967296 + lo;
    if (!(value >= min && value <= max) || hi >= 0x200000 || hi < -0x200000) {
      const exact = (BigInt(hi) << 32n) | BigInt(lo);
      this.fail(field, `a value in [${min}, ${max}]`, exact.toString(), at);
    }
    return value;
  }

  /** An unsigned 64-bit integer (size_t) that must be at most `max` (a safe integer). */
  u64(field: string, max = Number.MAX_SAFE_INTEGER): number {
    const at = this.offset;
    const r = this.scalarView(8, field);
    this.offset += 8;
    const lo = this.winView.getUint32(r, true);
    const hi = this.winView.getUint32(r + 4, true);
    const value = hi * 4294967296 + lo;
    if (value > max || hi >= 0x200000) {
      const exact = (BigInt(hi) << 32n) | BigInt(lo);
      this.fail(field, `a value of at most ${max}`, exact.toString(), at);
    }
    return value;
  }

  /** Reads a fourcc and returns its 4-character text (which may be unprintable garbage). */
  fourcc(field: string): { text: string; value: number; at: number } {
    const at = this.offset;
    const value = this.u32(field);
    return { text: u32ToFourcc(value), value, at };
  }

  /** Fails with the standard message for a fourcc that is not allowed here. */
  failFourcc(field: string, expected: string, got: { value: number; at: number }): never {
    this.fail(field, expected, `fourcc ${printableFourcc(got.value)}`, got.at);
  }

  /** Copies exactly dest.byteLength bytes into dest (bounds checked first). */
  fill(dest: ArrayBufferView, field: string): void {
    const n = dest.byteLength;
    this.need(n, field);
    const bytes = new Uint8Array(dest.buffer, dest.byteOffset, n);
    let done = 0;
    // part already in the window
    const rel = this.offset - this.winStart;
    if (rel >= 0 && rel < this.win.length) {
      const k = Math.min(n, this.win.length - rel, this.size - this.offset);
      bytes.set(this.win.subarray(rel, rel + k));
      done = k;
    }
    if (done < n) {
      const rest = n - done;
      if (rest >= WINDOW) {
        this.source.readInto(bytes.subarray(done), this.offset + done);
      } else {
        // small remainder: go through the window so the next scalars are served from it
        const len = Math.min(WINDOW, this.size - this.offset - done);
        if (this.win.length !== WINDOW || this.whole) {
          this.win = new Uint8Array(WINDOW);
          this.winView = new DataView(this.win.buffer);
        }
        this.source.readInto(this.win.subarray(0, len), this.offset + done);
        this.winStart = this.offset + done;
        bytes.set(this.win.subarray(0, rest), done);
      }
    }
    this.offset += n;
  }

  /** Reads `count` elements of a typed array type (count already validated by the caller or checked here). */
  array<T extends ArrayBufferView>(ctor: TypedArrayCtor<T>, count: number, field: string): T {
    const bytes = count * ctor.BYTES_PER_ELEMENT;
    if (!(bytes <= this.remaining)) {
      this.fail(field, `${count} elements (${bytes} bytes)`, `end of data (${this.remaining} bytes left)`);
    }
    const v = this.ownedView(bytes, ctor.BYTES_PER_ELEMENT);
    if (v) return new ctor(v.buffer, v.byteOffset, count);
    allocationObserver?.(bytes);
    const out = new ctor(count);
    this.fill(out, field);
    return out;
  }

  /** A view of the next n bytes when the source owns its bytes and can align them (advances the cursor). */
  private ownedView(n: number, align: number): Uint8Array | undefined {
    if (!this.whole || !this.source.view || n === 0) return undefined;
    const v = this.source.view(this.offset, n, align);
    if (!v) return undefined;
    // the content may have moved: serve scalars from its new place
    this.win = this.source.bytes as Uint8Array;
    this.winView = new DataView(this.win.buffer, this.win.byteOffset, this.win.byteLength);
    this.offset += n;
    return v;
  }

  /**
   * Reads the next n bytes into one fresh buffer of its own (byte offset 0 of
   * its ArrayBuffer) in a single pass, or, when the source owns its bytes,
   * returns an 8-byte aligned view of them. Either way the region starts at
   * a multiple of 8 bytes of its buffer. Large blocks such as all the inverted
   * lists of an IVF index are read this way, then handed out as views: one
   * allocation and one copy (one read call for a file) instead of one per list.
   */
  region(n: number, field: string): Uint8Array {
    if (!(n <= this.remaining)) {
      this.fail(field, `${n} bytes`, `end of data (${this.remaining} bytes left)`);
    }
    const v = this.ownedView(n, 8);
    if (v) return v;
    allocationObserver?.(n);
    const out = new Uint8Array(n);
    this.fill(out, field);
    return out;
  }

  /** Reports a buffer the caller allocates itself (for the allocation observer). */
  track(bytes: number): void {
    allocationObserver?.(bytes);
  }

  /**
   * A FAISS vector<T>: u64 element count, then the elements. The count is
   * checked against the remaining bytes before anything is allocated.
   * `expected`, when given, is the exact count required.
   */
  vector<T extends ArrayBufferView>(ctor: TypedArrayCtor<T>, field: string, expected?: number): T {
    const at = this.offset;
    const count = this.vectorCount(ctor.BYTES_PER_ELEMENT, field);
    if (expected !== undefined && count !== expected) {
      this.fail(field, `a vector of ${expected} elements`, `a count of ${count}`, at);
    }
    return this.array(ctor, count, field);
  }

  /** Reads a vector<T> element count and checks that count * elementSize bytes remain. */
  vectorCount(elementSize: number, field: string): number {
    const at = this.offset;
    this.need(8, field);
    const r = this.scalarView(8, field);
    const lo = this.winView.getUint32(r, true);
    const hi = this.winView.getUint32(r + 4, true);
    this.offset += 8;
    const count = hi * 4294967296 + lo;
    const avail = this.remaining;
    if (hi >= 0x200000 || count * elementSize > avail) {
      const exact = (BigInt(hi) << 32n) | BigInt(lo);
      this.fail(
        field,
        `a vector length of at most ${Math.floor(avail / elementSize)} elements (${avail} bytes remain)`,
        `${exact} elements`,
        at,
      );
    }
    return count;
  }
}
