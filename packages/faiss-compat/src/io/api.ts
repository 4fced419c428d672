/**
 * FAISS's index I/O functions: `read_index`, `write_index`,
 * `serialize_index`, `deserialize_index` and their `_binary` forms. Files are
 * FAISS's own format (read and written by @metalfaiss/io); records map to
 * index objects through the registered mappings.
 */
import * as io from '@metalfaiss/io';
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import type { Index } from '../base';
import { wrapObject } from '../wrap';
import { mappingContext } from './registry';

type Wrapped = { impl: object };

function source(pathOrBytes: unknown, fn: string): string | Uint8Array {
  if (typeof pathOrBytes === 'string' || pathOrBytes instanceof Uint8Array) return pathOrBytes;
  throw new MetalFaissError('INVALID_ARGUMENT', `expected a file path or a Uint8Array for ${fn}, received ${describeValue(pathOrBytes)}`);
}

function implOf(index: unknown, fn: string): object {
  const impl = (index as Wrapped | null)?.impl;
  if (impl === undefined || impl === null || typeof impl !== 'object') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a faiss-compat index for ${fn}, received ${describeValue(index)}`);
  }
  return impl;
}

/** `faiss.read_index(path_or_bytes)`: a float index from a FAISS file or its bytes. */
export function read_index(pathOrBytes: string | Uint8Array): Index {
  const record = io.readIndex(source(pathOrBytes, 'read_index'));
  return wrapObject(mappingContext.fromRecord(record)) as Index;
}

/** `faiss.write_index(index, path)`: written to a temporary file, then renamed over `path`. */
export function write_index(index: Index, path: string): void {
  if (typeof path !== 'string') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a file path (string) for write_index, received ${describeValue(path)}`);
  }
  io.writeIndexToFile(mappingContext.toRecord(implOf(index, 'write_index')) as io.IndexRecord, path);
}

/** `faiss.serialize_index(index)`: the bytes FAISS would write. */
export function serialize_index(index: Index): Uint8Array {
  return io.writeIndex(mappingContext.toRecord(implOf(index, 'serialize_index')) as io.IndexRecord);
}

/** `faiss.deserialize_index(bytes)` */
export function deserialize_index(bytes: Uint8Array): Index {
  if (!(bytes instanceof Uint8Array)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a Uint8Array for deserialize_index, received ${describeValue(bytes)}`);
  }
  return read_index(bytes);
}

/** `faiss.read_index_binary(path_or_bytes)` */
export function read_index_binary(pathOrBytes: string | Uint8Array): Wrapped {
  const record = io.readIndexBinary(source(pathOrBytes, 'read_index_binary'));
  return wrapObject(mappingContext.fromRecord(record));
}

/** `faiss.write_index_binary(index, path)` */
export function write_index_binary(index: Wrapped, path: string): void {
  if (typeof path !== 'string') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a file path (string) for write_index_binary, received ${describeValue(path)}`);
  }
  io.writeIndexBinaryToFile(mappingContext.toRecord(implOf(index, 'write_index_binary')) as io.BinaryIndexRecord, path);
}

/** `faiss.serialize_index_binary(index)` */
export function serialize_index_binary(index: Wrapped): Uint8Array {
  return io.writeIndexBinary(mappingContext.toRecord(implOf(index, 'serialize_index_binary')) as io.BinaryIndexRecord);
}

/** `faiss.deserialize_index_binary(bytes)` */
export function deserialize_index_binary(bytes: Uint8Array): Wrapped {
  if (!(bytes instanceof Uint8Array)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a Uint8Array for deserialize_index_binary, received ${describeValue(bytes)}`);
  }
  return read_index_binary(bytes);
}
