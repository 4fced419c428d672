/**
 * Reading FAISS index files for the CLI: the record (any file @metalfaiss/io
 * reads, float or binary, ours or Python FAISS's), its description tree, and
 * on request the index object.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { wrapObject } from '../wrap';
import { mappingContext } from '../io/registry';
import { CliError, fileOpenError } from './errors';

export interface IndexFile {
  path: string;
  /** file size in bytes */
  bytes: number;
  kind: 'float' | 'binary';
  record: io.AnyIndexRecord;
  description: io.RecordDescription;
}

const BINARY = new Set<string>([...io.BINARY_INDEX_FOURCCS, ...Object.keys(io.OUT_OF_SCOPE_BINARY_FOURCCS)]);

function firstFourcc(path: string, size: number): string | null {
  if (size < 4) return null;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    return b.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Reads and describes an index file; every failure is a one-line CliError. */
export function readIndexFile(path: string, role = 'the index file'): IndexFile {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (cause) {
    throw fileOpenError(path, role, cause);
  }
  const fourcc = firstFourcc(path, size);
  const kind = fourcc !== null && BINARY.has(fourcc) ? 'binary' : 'float';
  let record: io.AnyIndexRecord;
  try {
    record = kind === 'binary' ? io.readIndexBinary(path) : io.readIndex(path);
  } catch (e) {
    if (MetalFaissError.isInstance(e) && e.code === 'IO_FORMAT') {
      throw new CliError(
        'IO_FORMAT',
        `${role} ${JSON.stringify(path)} is not a readable FAISS index: ${e.message}`,
        'pass a file written by faiss.write_index (Python) or `metalfaiss build`',
        { cause: e },
      );
    }
    throw e;
  }
  return { path, bytes: size, kind, record, description: io.describeRecord(record) };
}

/** The faiss-compat object for a file's record (UNSUPPORTED when metalfaiss does not implement its type yet). */
export function loadIndex(file: IndexFile): { impl: object } {
  return wrapObject(mappingContext.fromRecord(file.record));
}

/** Every node of a description tree, depth first. */
export function walkDescription(node: io.RecordDescription, visit: (n: io.RecordDescription, depth: number) => void, depth = 0): void {
  visit(node, depth);
  for (const c of node.children) walkDescription(c.node, visit, depth + 1);
}

/** The first value of a parameter anywhere in the tree (e.g. nlist of an IVF under an IDMap). */
export function findParam(desc: io.RecordDescription, name: string): io.DescriptionValue | undefined {
  let found: io.DescriptionValue | undefined;
  walkDescription(desc, (n) => {
    if (found === undefined && name in n.params) found = n.params[name];
  });
  return found;
}
