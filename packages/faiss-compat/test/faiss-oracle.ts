/**
 * Runs real FAISS (Debian's python3-faiss, through /usr/bin/python3) as a test
 * oracle. Arrays travel as raw little-endian files in a temporary folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

let available: boolean | undefined;
export function faissAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(PYTHON, ['-c', 'import faiss, numpy'], { encoding: 'utf8' });
    available = r.status === 0;
    if (!available) {
      console.warn(
        'FAISS oracle tests skipped: /usr/bin/python3 cannot import faiss. Enable them with: ' +
          'apt-get install -y python3-faiss libopenblas0-pthread',
      );
    }
  }
  return available;
}

/**
 * Runs `script` (Python; it sees `D` = the work folder path and numpy as np,
 * faiss imported) after writing `inputs` as <name>.bin; returns the files the
 * script wrote, by name.
 */
export function runFaiss(script: string, inputs: Record<string, ArrayBufferView>, outputs: string[]): Record<string, Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'mf-faiss-'));
  try {
    for (const [name, arr] of Object.entries(inputs)) {
      writeFileSync(join(dir, `${name}.bin`), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
    }
    const prelude = `import faiss, numpy as np, sys\nD = ${JSON.stringify(dir)}\ndef load(n, dt): return np.fromfile(D + '/' + n + '.bin', dtype=dt)\ndef save(n, a): np.ascontiguousarray(a).tofile(D + '/' + n + '.bin')\n`;
    const r = spawnSync(PYTHON, ['-c', prelude + script], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`FAISS script failed (${r.status}): ${r.stderr}`);
    const out: Record<string, Buffer> = {};
    for (const name of outputs) out[name] = readFileSync(join(dir, `${name}.bin`));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function asF32(b: Buffer): Float32Array {
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
export function asI64(b: Buffer): BigInt64Array {
  return new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
