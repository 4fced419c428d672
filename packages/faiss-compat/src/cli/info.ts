/**
 * `metalfaiss info <index-file> [--json]`: the index tree of a FAISS file
 * (ours or Python FAISS's): type, d, ntotal, metric and each type's
 * parameters (nlist/nprobe, M/nbits, qtype, efSearch, ...), the size of every
 * node, and whether this version of metalfaiss can load it.
 */
import { formatDescription, type RecordDescription } from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import type { Index } from '../base';
import type { CommandContext } from './context';
import { usageError } from './errors';
import { loadIndex, readIndexFile } from './index-file';
import { formatBytes } from './progress';

export interface InfoJson {
  file: string;
  fileBytes: number;
  kind: 'float' | 'binary';
  /** the tree: fourcc, className, params, bytes (encoded size of the node and its children), children */
  index: RecordDescription;
  /** whether metalfaiss can load the file into an index object, and if not, why */
  loadable: { ok: true; className: string; memoryBytes: number | null } | { ok: false; reason: string };
}

export async function infoCommand(ctx: CommandContext): Promise<number> {
  const { positionals, values } = ctx.parse({ json: { type: 'boolean' } });
  if (positionals.length !== 1) {
    throw usageError(`expected one index file for \`metalfaiss info\`, received ${positionals.length ? positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}`, 'usage: metalfaiss info <index-file> [--json]');
  }
  const file = readIndexFile(positionals[0]);
  let loadable: InfoJson['loadable'];
  try {
    const obj = loadIndex(file) as Index;
    const impl = obj.impl as { memoryBytes?: () => number };
    // the FAISS class name from the file (bundlers may rename JS classes)
    loadable = { ok: true, className: file.description.className, memoryBytes: typeof impl.memoryBytes === 'function' ? impl.memoryBytes() : null };
  } catch (e) {
    if (!MetalFaissError.isInstance(e)) throw e;
    loadable = { ok: false, reason: e.message };
  }
  if (values.json) {
    const out: InfoJson = { file: file.path, fileBytes: file.bytes, kind: file.kind, index: file.description, loadable };
    ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const lines = [
    `${file.path}: FAISS ${file.kind} index, ${formatBytes(file.bytes)}`,
    formatDescription(file.description),
    `memory: ${formatBytes(file.description.bytes)} serialized (FAISS holds about this much in RAM)` +
      (loadable.ok && loadable.memoryBytes !== null ? `; metalfaiss ${loadable.className}: ${formatBytes(loadable.memoryBytes)} of vectors, codes and ids` : ''),
    loadable.ok ? `metalfaiss: loads as ${loadable.className}` : `metalfaiss: cannot load it: ${loadable.reason}`,
  ];
  ctx.stdout.write(lines.join('\n') + '\n');
  return 0;
}
