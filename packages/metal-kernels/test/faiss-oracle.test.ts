/**
 * The native kernels against real FAISS (the Debian python3-faiss package),
 * on seeded random data. Skipped when FAISS is not installed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { knn, rangeSearch, type MetricCode } from '../src/index';
import { expectKnnClose, knnArgs, randomFloats } from './helpers';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import faiss'], { encoding: 'utf8' });
const hasFaiss = probe.status === 0;
if (!hasFaiss) {
  console.warn('faiss-oracle tests skipped: install python3-faiss (apt-get install python3-faiss) to enable');
}

const ORACLE = `
import sys, numpy as np, faiss
faiss.omp_set_num_threads(1)
dirn, nq, nb, d, k, metric, radius = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
xq = np.fromfile(dirn + '/xq.f32', dtype=np.float32).reshape(nq, d)
xb = np.fromfile(dirn + '/xb.f32', dtype=np.float32).reshape(nb, d)
index = faiss.IndexFlatL2(d) if metric == 1 else faiss.IndexFlatIP(d)
index.add(xb)
D, I = index.search(xq, k)
D.astype(np.float32).tofile(dirn + '/D.f32'); I.astype(np.int64).tofile(dirn + '/I.i64')
lims, RD, RI = index.range_search(xq, radius)
lims.astype(np.int64).tofile(dirn + '/lims.i64'); RD.astype(np.float32).tofile(dirn + '/RD.f32'); RI.astype(np.int64).tofile(dirn + '/RI.i64')
`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mk-faiss-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(path.join(tmp, file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
function readI64(file: string): BigInt64Array {
  const b = fs.readFileSync(path.join(tmp, file));
  return new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe.skipIf(!hasFaiss)('against FAISS 1.7 (python3-faiss)', () => {
  for (const metric of [1, 0] as MetricCode[]) {
    for (const nq of [1, 60]) {
      it(`knn and rangeSearch agree with FAISS (metric=${metric}, nq=${nq})`, () => {
        const nb = 4000;
        const d = 48;
        const k = 10;
        const xq = randomFloats(nq * d, 500 + nq + metric);
        const xb = randomFloats(nb * d, 600 + nq + metric);
        fs.writeFileSync(path.join(tmp, 'xq.f32'), xq);
        fs.writeFileSync(path.join(tmp, 'xb.f32'), xb);
        const radius = metric === 1 ? 19.5 : 4.5;
        const run = spawnSync(PY, ['-c', ORACLE, tmp, String(nq), String(nb), String(d), String(k), String(metric), String(radius)], {
          encoding: 'utf8',
          env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
        });
        expect(run.status, run.stderr).toBe(0);

        const got = knnArgs(xq, xb, nq, nb, d, k, metric);
        knn(got);
        const want = { distances: readF32('D.f32'), labels: readI64('I.i64') };
        expectKnnClose(got, want, { xq, xb, nq, nb, d, k, metric });

        const r = rangeSearch({ xq, xb, nq, nb, d, metric, radius });
        const lims = readI64('lims.i64');
        const rd = readF32('RD.f32');
        const ri = readI64('RI.i64');
        // Same sets except entries within float error of the radius.
        for (let i = 0; i < nq; i++) {
          const ours = new Map<bigint, number>();
          for (let t = Number(r.lims[i]); t < Number(r.lims[i + 1]); t++) ours.set(r.labels[t], r.distances[t]);
          const theirs = new Map<bigint, number>();
          for (let t = Number(lims[i]); t < Number(lims[i + 1]); t++) theirs.set(ri[t], rd[t]);
          for (const [label, dist] of theirs) {
            if (!ours.has(label)) expect(Math.abs(dist - radius)).toBeLessThan(1e-3);
            else expect(Math.abs(ours.get(label)! - dist)).toBeLessThan(1e-3);
          }
          for (const [label, dist] of ours) if (!theirs.has(label)) expect(Math.abs(dist - radius)).toBeLessThan(1e-3);
          // ours is in database order
          const labels = Array.from(r.labels.subarray(Number(r.lims[i]), Number(r.lims[i + 1])));
          expect(labels).toEqual([...labels].sort((a, b) => (a < b ? -1 : 1)));
        }
        expect(Number(r.lims[nq])).toBeGreaterThan(0);
      });
    }
  }
});
