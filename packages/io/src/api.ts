/**
 * Public entry points: read records from a path, a buffer or a stream, and
 * write them to a buffer, a file (temporary file + rename) or a stream.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  promises as fsp,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ChunkSource, FileSource, MemorySource, OwnedSource, type ByteSource } from './byte-source';
import { readBinaryIndexRecord, readIndexRecord, writeBinaryIndexRecord, writeIndexRecord } from './codec/dispatch';
import { Cursor } from './cursor';
import { Encoder, concatChunks } from './encoder';
import { MetalFaissError, describeValue } from './errors';
import type { BinaryIndexRecord, IndexRecord } from './records';

export interface ReadOptions {
  /**
   * Accept bytes after the top-level record (FAISS ignores them). Default
   * false: trailing bytes are reported as IO_FORMAT, since they usually mean
   * a corrupt or concatenated file.
   */
  allowTrailingBytes?: boolean;
}

export interface StreamReadOptions extends ReadOptions {
  /** Refuse streams longer than this many bytes (INVALID_ARGUMENT). Default: no limit. */
  maxBytes?: number;
}

export interface FileWriteOptions {
  /** fsync the temporary file before renaming it over the target. Default true. */
  fsync?: boolean;
}

/** Something the readers accept: a file path, or the file's bytes. */
export type IndexSource = string | Uint8Array | ArrayBuffer;

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new MetalFaissError('UNSUPPORTED', 'big-endian hosts are not supported by @metalfaiss/io (FAISS files are little-endian)');
  }
}

function openSource(source: IndexSource): ByteSource {
  if (typeof source === 'string') return new FileSource(source);
  if (source instanceof Uint8Array) return new MemorySource(source);
  if (source instanceof ArrayBuffer) return new MemorySource(new Uint8Array(source));
  throw new MetalFaissError('INVALID_ARGUMENT', `expected a file path, Uint8Array or ArrayBuffer for source, received ${describeValue(source)}`);
}

function parse<T>(source: ByteSource, read: (c: Cursor) => T, options: ReadOptions | undefined): T {
  assertLittleEndian();
  try {
    const c = new Cursor(source);
    if (c.size === 0) c.fail('index fourcc', 'an index record', 'empty data');
    const rec = read(c);
    if (!options?.allowTrailingBytes && c.remaining > 0) {
      c.fail('end of data', 'the end of the data after the top-level record', `${c.remaining} more bytes`);
    }
    return rec;
  } finally {
    source.close();
  }
}

/**
 * Reads a float index (what FAISS's `read_index` reads) from a file path or
 * the file's bytes. A path is read through a file descriptor straight into
 * the record's typed arrays, so peak memory stays about the file size.
 *
 * @throws MetalFaissError IO_FORMAT for a corrupt, truncated or unknown file (the message
 *   names the field, the fourcc path and the byte offset); UNSUPPORTED for a valid FAISS
 *   type outside this package's scope; INVALID_ARGUMENT for a bad source or unreadable path.
 */
export function readIndex(source: IndexSource, options?: ReadOptions): IndexRecord {
  return parse(openSource(source), readIndexRecord, options);
}

/** Reads a binary index (what FAISS's `read_index_binary` reads). Errors as for readIndex. */
export function readIndexBinary(source: IndexSource, options?: ReadOptions): BinaryIndexRecord {
  return parse(openSource(source), readBinaryIndexRecord, options);
}

async function loadAsync(source: IndexSource): Promise<ByteSource> {
  if (typeof source !== 'string') return openSource(source);
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(source, 'r');
    const st = await handle.stat();
    if (!st.isFile()) throw new MetalFaissError('INVALID_ARGUMENT', `expected a regular file for path, received ${JSON.stringify(source)}`);
    const size = st.size;
    // 8 spare bytes let the source align the largest array in place (see OwnedSource)
    const buffer = new ArrayBuffer(size + 8);
    const bytes = new Uint8Array(buffer, 0, size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(bytes, done, Math.min(size - done, 1 << 30), done);
      if (bytesRead <= 0) {
        throw new MetalFaissError(
          'IO_FORMAT',
          `expected ${size} readable bytes for ${source}, received end of file at byte offset ${done} (the file shrank while it was being read)`,
        );
      }
      done += bytesRead;
    }
    return new OwnedSource(buffer, size, source);
  } catch (err) {
    if (MetalFaissError.isInstance(err)) throw err;
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a readable file for path, received ${JSON.stringify(source)} (${(err as Error).message})`, {
      cause: err,
    });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Async twin of readIndex: the file is read without blocking the event loop
 * into a buffer the record then owns. Large arrays (a flat index's vectors,
 * all inverted lists) are views of that buffer, so peak memory stays about
 * the file size.
 */
export async function readIndexAsync(source: IndexSource, options?: ReadOptions): Promise<IndexRecord> {
  return parse(await loadAsync(source), readIndexRecord, options);
}

/** Async twin of readIndexBinary. */
export async function readIndexBinaryAsync(source: IndexSource, options?: ReadOptions): Promise<BinaryIndexRecord> {
  return parse(await loadAsync(source), readBinaryIndexRecord, options);
}

async function collect(stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array>, options: StreamReadOptions | undefined): Promise<ByteSource> {
  const iterable = stream as AsyncIterable<unknown>;
  if (typeof iterable?.[Symbol.asyncIterator] !== 'function') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a readable stream or async iterable of Uint8Array for stream, received ${describeValue(stream)}`);
  }
  const max = options?.maxBytes ?? Number.POSITIVE_INFINITY;
  // The chunks are copied as they come into one growable ArrayBuffer (its
  // address space is reserved up front; pages are committed as they are
  // written), so no chunk outlives its arrival and the record can keep views
  // of that buffer: about 1x the stream's size. A stream longer than the
  // reservation (or a runtime without growable buffers) keeps its chunks.
  let owned = growableBuffer(Math.min(max, MAX_GROWABLE) + 8);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of iterable) {
    if (!(chunk instanceof Uint8Array)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected Uint8Array chunks for stream (a binary stream without an encoding), received ${describeValue(chunk)}`);
    }
    if (total + chunk.length > max) throw new MetalFaissError('INVALID_ARGUMENT', `expected at most ${max} bytes for stream (options.maxBytes), received more`);
    if (chunk.length === 0) continue;
    if (owned && total + chunk.length + 8 <= owned.maxByteLength) {
      owned.resize(total + chunk.length + 8);
      new Uint8Array(owned, total, chunk.length).set(chunk);
    } else {
      if (owned) {
        // over the reservation: what came so far becomes the first chunk
        chunks.push(new Uint8Array(owned, 0, total));
        owned = undefined;
      }
      chunks.push(chunk);
    }
    total += chunk.length;
  }
  if (owned) {
    owned.resize(total + 8);
    return new OwnedSource(owned, total, 'stream');
  }
  return new ChunkSource(chunks);
}

/** Largest growable ArrayBuffer this runtime reserves (V8: 4 GiB), less the 8 spare bytes. */
const MAX_GROWABLE = 2 ** 32 - 8;

interface GrowableArrayBuffer extends ArrayBuffer {
  readonly maxByteLength: number;
  resize(byteLength: number): void;
}

function growableBuffer(maxByteLength: number): GrowableArrayBuffer | undefined {
  try {
    const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => GrowableArrayBuffer;
    const b = new Ctor(0, { maxByteLength });
    return typeof b.resize === 'function' && b.maxByteLength === maxByteLength ? b : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a float index from a readable stream (or any async iterable of
 * Uint8Array). The chunks are copied as they come into one growable buffer
 * the record then owns (large arrays are views of it), so peak memory stays
 * about the stream's size; streams over 4 GiB keep their chunks and are
 * copied out of them.
 */
export async function readIndexFromStream(
  stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  options?: StreamReadOptions,
): Promise<IndexRecord> {
  return parse(await collect(stream, options), readIndexRecord, options);
}

/** Reads a binary index from a readable stream. */
export async function readIndexBinaryFromStream(
  stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  options?: StreamReadOptions,
): Promise<BinaryIndexRecord> {
  return parse(await collect(stream, options), readBinaryIndexRecord, options);
}

// ---------------------------------------------------------------------------
// writing

/** Encodes a float index record into chunks (views over the record's arrays plus small scratch buffers). */
export function encodeIndex(record: IndexRecord): Uint8Array[] {
  assertLittleEndian();
  const e = new Encoder();
  writeIndexRecord(e, record);
  return e.finish();
}

/** Encodes a binary index record into chunks. */
export function encodeIndexBinary(record: BinaryIndexRecord): Uint8Array[] {
  assertLittleEndian();
  const e = new Encoder();
  writeBinaryIndexRecord(e, record);
  return e.finish();
}

/**
 * Serialises a float index record exactly as FAISS's `write_index` would.
 * @throws MetalFaissError INVALID_ARGUMENT naming the field path when the record is inconsistent.
 */
export function writeIndex(record: IndexRecord): Uint8Array {
  return concatChunks(encodeIndex(record));
}

/** Serialises a binary index record exactly as FAISS's `write_index_binary` would. */
export function writeIndexBinary(record: BinaryIndexRecord): Uint8Array {
  return concatChunks(encodeIndexBinary(record));
}

function tempPathFor(path: string): string {
  const abs = resolve(path);
  return join(dirname(abs), `.${basename(abs)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function pathError(path: string, err: unknown): MetalFaissError {
  return new MetalFaissError('INVALID_ARGUMENT', `expected a writable file path for path, received ${JSON.stringify(path)} (${(err as Error).message})`, {
    cause: err,
  });
}

function writeChunksToFile(chunks: Uint8Array[], path: string, options: FileWriteOptions | undefined): void {
  if (typeof path !== 'string' || path.length === 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected a file path for path, received ${describeValue(path)}`);
  const tmp = tempPathFor(path);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o666);
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, Math.min(chunk.length - off, 1 << 30));
    }
    if (options?.fsync !== false) fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file was never created or is already gone
    }
    throw pathError(path, err);
  }
}

async function writeChunksToFileAsync(chunks: Uint8Array[], path: string, options: FileWriteOptions | undefined): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected a file path for path, received ${describeValue(path)}`);
  const tmp = tempPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', 0o666);
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, off, Math.min(chunk.length - off, 1 << 30));
        off += bytesWritten;
      }
    }
    if (options?.fsync !== false) await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, path);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw pathError(path, err);
  }
}

/**
 * Writes a float index record to `path` atomically: the bytes go to a
 * temporary file in the same directory, which is fsynced and renamed over
 * `path`, so a failure never leaves a half-written file in place of a good
 * one. Large arrays are written straight from the record's buffers.
 */
export function writeIndexToFile(record: IndexRecord, path: string, options?: FileWriteOptions): void {
  writeChunksToFile(encodeIndex(record), path, options);
}

/** Binary-index twin of writeIndexToFile. */
export function writeIndexBinaryToFile(record: BinaryIndexRecord, path: string, options?: FileWriteOptions): void {
  writeChunksToFile(encodeIndexBinary(record), path, options);
}

/** Async twin of writeIndexToFile (same temporary file + rename guarantee). */
export async function writeIndexToFileAsync(record: IndexRecord, path: string, options?: FileWriteOptions): Promise<void> {
  await writeChunksToFileAsync(encodeIndex(record), path, options);
}

/** Async twin of writeIndexBinaryToFile. */
export async function writeIndexBinaryToFileAsync(record: BinaryIndexRecord, path: string, options?: FileWriteOptions): Promise<void> {
  await writeChunksToFileAsync(encodeIndexBinary(record), path, options);
}

async function writeChunksToStream(chunks: Uint8Array[], stream: NodeJS.WritableStream): Promise<void> {
  if (typeof (stream as { write?: unknown })?.write !== 'function' || typeof (stream as { once?: unknown }).once !== 'function') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a writable stream for stream, received ${describeValue(stream)}`);
  }
  let failure: unknown;
  const onError = (err: unknown): void => {
    failure = err ?? new Error('stream error');
  };
  stream.on('error', onError);
  try {
    for (let i = 0; i < chunks.length; i++) {
      if (failure) throw failure;
      if (i === chunks.length - 1) {
        await new Promise<void>((res, rej) => {
          stream.write(chunks[i], (err?: Error | null) => (err ? rej(err) : res()));
        });
      } else if (!stream.write(chunks[i])) {
        await new Promise<void>((res, rej) => {
          const done = (): void => {
            stream.off('drain', done);
            stream.off('error', fail);
            stream.off('close', closed);
            res();
          };
          const fail = (err: unknown): void => {
            stream.off('drain', done);
            stream.off('close', closed);
            rej(err);
          };
          const closed = (): void => {
            stream.off('drain', done);
            stream.off('error', fail);
            rej(failure ?? new Error('stream closed before the index was written'));
          };
          stream.once('drain', done);
          stream.once('error', fail);
          stream.once('close', closed);
        });
      }
    }
    if (failure) throw failure;
  } finally {
    stream.off('error', onError);
  }
}

/**
 * Writes a float index record to a writable stream, respecting backpressure.
 * The stream is not ended. The record's arrays are handed to the stream as
 * views: do not modify them until the returned promise settles.
 */
export async function writeIndexToStream(record: IndexRecord, stream: NodeJS.WritableStream): Promise<void> {
  await writeChunksToStream(encodeIndex(record), stream);
}

/** Binary-index twin of writeIndexToStream. */
export async function writeIndexBinaryToStream(record: BinaryIndexRecord, stream: NodeJS.WritableStream): Promise<void> {
  await writeChunksToStream(encodeIndexBinary(record), stream);
}
