/**
 * Random-access byte sources the reader pulls from: an in-memory buffer, an
 * open file descriptor, or a list of chunks collected from a stream. The
 * cursor copies bulk data straight into the destination typed array's own
 * buffer, so reading a file costs about one copy of its size in memory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MetalFaissError } from './errors';

export interface ByteSource {
  /** Total number of bytes available. */
  readonly size: number;
  /** Short description for messages (file path, "buffer", "stream"). */
  readonly name: string;
  /** The whole content when it is already in memory (lets the cursor skip copying scalars). */
  readonly bytes?: Uint8Array;
  /** Fills `dest` with the bytes at [position, position + dest.length). The caller checks bounds. */
  readInto(dest: Uint8Array, position: number): void;
  /**
   * Only for bytes the reader owns (never the caller's): a view of
   * [position, position + n) whose byte offset is a multiple of `align`, or
   * undefined when none can be given (the caller then copies). After a view
   * was handed out, `bytes` must not move.
   */
  view?(position: number, n: number, align: number): Uint8Array | undefined;
  close(): void;
}

export class MemorySource implements ByteSource {
  readonly size: number;
  readonly name = 'buffer';
  constructor(readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }
  readInto(dest: Uint8Array, position: number): void {
    dest.set(this.bytes.subarray(position, position + dest.length));
  }
  close(): void {}
}

/**
 * Bytes the reader read itself (readIndexAsync from a path, a stream's
 * chunks gathered into one growable buffer): the records may
 * keep views of them instead of copies, so a file costs about its size once.
 * The content sits in an ArrayBuffer with 8 spare bytes; the first large
 * array asked for as a view may move the content by up to 7 bytes (in
 * place) so that this array is 8-byte aligned. Small arrays are copied (they
 * must not pin the alignment before the large one comes); a large array that
 * cannot be aligned once a view is out is copied too.
 */
export class OwnedSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  bytes: Uint8Array;
  private shift = 0;
  private pinned = false;
  private readonly minView: number;

  /** `buffer` holds the content at byte 0 and has at least 8 bytes to spare after it. */
  constructor(
    private readonly buffer: ArrayBuffer,
    size: number,
    name: string,
  ) {
    this.size = size;
    this.name = name;
    this.bytes = new Uint8Array(buffer, 0, size);
    this.minView = Math.max(1 << 16, Math.ceil(size / 4));
  }

  readInto(dest: Uint8Array, position: number): void {
    dest.set(this.bytes.subarray(position, position + dest.length));
  }

  view(position: number, n: number, align: number): Uint8Array | undefined {
    if (n < this.minView) return undefined;
    if ((this.shift + position) % align !== 0) {
      if (this.pinned) return undefined;
      const shift = (8 - (position % 8)) % 8;
      new Uint8Array(this.buffer).copyWithin(shift, this.shift, this.shift + this.size);
      this.shift = shift;
      this.bytes = new Uint8Array(this.buffer, shift, this.size);
    }
    this.pinned = true;
    return this.bytes.subarray(position, position + n);
  }

  close(): void {}
}

/** readSync takes at most 2^31 - 1 bytes per call; stay well under it. */
const MAX_READ = 1 << 30;

export class FileSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  private fd: number;

  constructor(path: string) {
    this.name = path;
    try {
      this.fd = openSync(path, 'r');
    } catch (err) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected a readable file for path, received ${JSON.stringify(path)} (${(err as Error).message})`,
        { cause: err },
      );
    }
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile()) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected a regular file for path, received ${JSON.stringify(path)}`);
      }
      this.size = st.size;
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  readInto(dest: Uint8Array, position: number): void {
    let done = 0;
    while (done < dest.length) {
      const want = Math.min(MAX_READ, dest.length - done);
      const got = readSync(this.fd, dest, done, want, position + done);
      if (got <= 0) {
        throw new MetalFaissError(
          'IO_FORMAT',
          `expected ${dest.length} readable bytes for ${this.name}, received end of file at byte offset ${position + done} (the file shrank while it was being read)`,
        );
      }
      done += got;
    }
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** Bytes held as a list of chunks (as they came from a stream), read without concatenating them. */
export class ChunkSource implements ByteSource {
  readonly size: number;
  readonly name = 'stream';
  private readonly starts: number[];

  constructor(private readonly chunks: Uint8Array[]) {
    this.starts = new Array<number>(chunks.length);
    let total = 0;
    for (let i = 0; i < chunks.length; i++) {
      this.starts[i] = total;
      total += chunks[i].length;
    }
    this.size = total;
  }

  readInto(dest: Uint8Array, position: number): void {
    // binary search for the chunk holding `position`
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= position) lo = mid;
      else hi = mid - 1;
    }
    let done = 0;
    for (let c = lo; done < dest.length && c < this.chunks.length; c++) {
      const chunk = this.chunks[c];
      const from = position + done - this.starts[c];
      const n = Math.min(chunk.length - from, dest.length - done);
      if (n <= 0) continue;
      dest.set(chunk.subarray(from, from + n), done);
      done += n;
    }
  }

  close(): void {}
}
