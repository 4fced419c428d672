/**
 * The `metalfaiss` command: info / build / search in process (runCli), and
 * the built executable (dist/cli.js) for exit codes and one-line errors.
 * Index files written by Python FAISS are read, and ours are read back by
 * FAISS, when /usr/bin/python3 has faiss.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { encodeNpy, encodeVecs, readArrayFile } from '../src/cli/formats';
import { runCli } from '../src/cli/main';
import { computeRecall } from '../src/cli/search';
import { asI64, faissAvailable, runFaiss } from './faiss-oracle';

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'mf-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string): string => join(dir, name);

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

const d = 24;
const nb = 3000;
const nq = 40;
const xb = rand(nb * d, 1);
const xq = rand(nq * d, 2);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** A usage error: exit 2, exactly one line on stderr, no stack trace. */
function expectOneLineError(r: Run, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[lines.length - 1]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  writeFileSync(p('xb.npy'), encodeNpy(xb, [nb, d]));
  writeFileSync(p('xq.npy'), encodeNpy(xq, [nq, d]));
  writeFileSync(p('xb.fvecs'), encodeVecs(xb, d));
  writeFileSync(p('xq.f32'), Buffer.from(xq.buffer));
  // exact ground truth from our flat index (itself checked against FAISS in faiss-equal.test.ts)
  const flat = new faiss.IndexFlatL2(d);
  flat.add(xb);
  const [, I] = flat.search(xq, 100);
  writeFileSync(p('gt.npy'), encodeNpy(I, [nq, 100]));
  const I32 = Int32Array.from(I, (v) => Number(v));
  writeFileSync(p('gt.ivecs'), encodeVecs(I32, 100));
  writeFileSync(p('ids.npy'), encodeNpy(BigInt64Array.from({ length: nb }, (_, i) => 10n ** 12n + BigInt(i) * 7n), [nb]));
});

describe('metalfaiss build + search + info', () => {
  it('builds a Flat index from .npy, searches it with recall 1 against exact ground truth, and describes it', async () => {
    const b = await cli('build', '--factory', 'Flat', '--input', p('xb.npy'), '--out', p('flat.faiss'));
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/built IndexFlatL2 .* with 3000 vectors/);
    expect(b.stdout).toMatch(/timings: train - \(not needed\), add [\d.]+ s, write [\d.]+ s, total/);
    expect(b.stderr).toMatch(/add to "Flat": 3000 vectors in/);
    const index = faiss.read_index(p('flat.faiss'));
    expect(index.ntotal).toBe(nb);
    expect(Array.from(index.reconstruct_n(0, nb))).toEqual(Array.from(xb));

    const s = await cli('search', p('flat.faiss'), p('xq.npy'), '-k', '10', '--gt', p('gt.ivecs'));
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/searched 40 queries \(k = 10\) in IndexFlatL2 of 3000 vectors: .* queries\/s/);
    expect(s.stdout).toMatch(/recall@10 1\.0000, 1-recall@1 1\.0000, 1-recall@10 1\.0000/);
    expect(s.stdout).toMatch(/^query 0: \d+:/m);

    const info = await cli('info', p('flat.faiss'));
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/IxF2 IndexFlatL2 d=24 ntotal=3000 trained metric=L2 \(288045 bytes\)/);
    expect(info.stdout).toMatch(/metalfaiss: loads as IndexFlatL2/);
    const json = JSON.parse((await cli('info', p('flat.faiss'), '--json')).stdout);
    expect(json).toMatchObject({
      fileBytes: 288045,
      kind: 'float',
      index: { fourcc: 'IxF2', className: 'IndexFlatL2', params: { d: 24, ntotal: 3000, metric: 'L2' }, bytes: 288045 },
      loadable: { ok: true, className: 'IndexFlatL2', memoryBytes: nb * d * 4 },
    });
  });

  it('--ids: IDMap,Flat stores them; a bare Flat is wrapped in IndexIDMap with a note; --json summary', async () => {
    const a = await cli('build', '-f', 'IDMap,Flat', '-i', p('xb.fvecs'), '--ids', p('ids.npy'), '-o', p('idmap.faiss'), '--json');
    expect(a.code, a.stderr).toBe(0);
    const summary = JSON.parse(a.stdout);
    expect(summary).toMatchObject({ className: 'IndexIDMap', ntotal: nb, d, metric: 'l2', notes: [] });
    expect(summary.addSeconds).toBeGreaterThanOrEqual(0);
    const b = await cli('build', '-f', 'Flat', '-i', p('xb.npy'), '--ids', p('ids.npy'), '-o', p('wrapped.faiss'), '--metric', 'ip');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/note: "Flat" does not store ids, so it was wrapped in an IndexIDMap/);
    const index = faiss.read_index(p('wrapped.faiss')) as faiss.IndexIDMap;
    expect(index).toBeInstanceOf(faiss.IndexIDMap);
    expect(index.metric_type).toBe(faiss.METRIC_INNER_PRODUCT);
    expect(index.id_map[5]).toBe(10n ** 12n + 35n);
    const s = await cli('search', p('idmap.faiss'), p('xq.npy'), '-k', '3', '--out', p('res.json'));
    expect(s.code, s.stderr).toBe(0);
    const res = JSON.parse(readFileSync(p('res.json'), 'utf8'));
    const [D, I] = faiss.read_index(p('idmap.faiss')).search(xq, 3);
    expect(res.labels.flat()).toEqual(Array.from(I, Number));
    expect(res.distances.flat()).toEqual(Array.from(D));
    expect(res).toMatchObject({ nq, k: 3, className: 'IndexIDMap' });
  });

  it('--out .npy and .ivecs write labels and distances; --nq; k larger than ntotal pads with -1 as FAISS', async () => {
    writeFileSync(p('small.npy'), encodeNpy(xb.subarray(0, 5 * d), [5, d]));
    expect((await cli('build', '-f', 'Flat', '-i', p('small.npy'), '-o', p('small.faiss'), '-q')).code).toBe(0);
    const s = await cli('search', p('small.faiss'), p('xq.f32'), '--dim', String(d), '-k', '8', '--nq', '4', '--out', p('r.npy'));
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/wrote .*r\.npy and .*r\.distances\.npy/);
    const I = readArrayFile(p('r.npy'));
    const D = readArrayFile(p('r.distances.npy'));
    expect([I.dtype, I.n, I.d, D.dtype, D.n, D.d]).toEqual(['int64', 4, 8, 'float32', 4, 8]);
    const labels = I.data as BigInt64Array;
    for (let q = 0; q < 4; q++) {
      expect([...labels.subarray(q * 8 + 5, q * 8 + 8)]).toEqual([-1n, -1n, -1n]);
      expect(new Set(labels.subarray(q * 8, q * 8 + 5))).toEqual(new Set([0n, 1n, 2n, 3n, 4n]));
    }
    const v = await cli('search', p('small.faiss'), p('xq.npy'), '-k', '2', '--out', p('r.ivecs'));
    expect(v.code, v.stderr).toBe(0);
    expect(readArrayFile(p('r.ivecs'))).toMatchObject({ dtype: 'int32', n: nq, d: 2 });
    expect(readArrayFile(p('r.distances.fvecs'))).toMatchObject({ dtype: 'float32', n: nq, d: 2 });
  });

  it('builds an IVF index (training with progress) and --nprobe trades speed for recall', async () => {
    const b = await cli('build', '-f', 'IVF16,Flat', '-i', p('xb.npy'), '-o', p('ivf.faiss'));
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/built IndexIVFFlat \(--factory "IVF16,Flat", d = 24, metric l2\) with 3000 vectors/);
    expect(b.stdout).toMatch(/timings: train [\d.]+ s, add [\d.]+ s, write/);
    expect(b.stderr).toMatch(/train "IVF16,Flat" on 3000 vectors: done in/);
    const info = JSON.parse((await cli('info', p('ivf.faiss'), '--json')).stdout);
    expect(info.index).toMatchObject({ className: 'IndexIVFFlat', params: { d, ntotal: nb, nlist: 16 } });
    expect(info.loadable).toMatchObject({ ok: true, className: 'IndexIVFFlat' });
    const recall = async (nprobe: number): Promise<number> => {
      const r = await cli('search', p('ivf.faiss'), p('xq.npy'), '-k', '10', '--nprobe', String(nprobe), '--gt', p('gt.npy'), '--json');
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.params).toEqual({ nprobe });
      return j.recall.recallAtK;
    };
    const r1 = await recall(1);
    expect(r1).toBeLessThan(1);
    expect(await recall(16)).toBe(1); // every list
    expect(await recall(4)).toBeGreaterThanOrEqual(r1);
  });

  it('binary indexes: BFlat and BHNSW from uint8 codes, searched by Hamming distance; float input is refused', async () => {
    const n = 500;
    const codes = Uint8Array.from({ length: n * 16 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 255);
    writeFileSync(p('bxb.npy'), encodeNpy(codes, [n, 16]));
    writeFileSync(p('bxq.npy'), encodeNpy(codes.slice(0, 10 * 16), [10, 16]));
    const b = await cli('build', '-f', 'BFlat', '-i', p('bxb.npy'), '-o', p('bflat.faiss'));
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/built IndexBinaryFlat \(--factory "BFlat", d = 128 bits, Hamming\) with 500 vectors/);
    expect((await cli('info', p('bflat.faiss'))).stdout).toMatch(/IBxF IndexBinaryFlat d=128 ntotal=500/);
    const s = await cli('search', p('bflat.faiss'), p('bxq.npy'), '-k', '3', '--out', p('bres.json'));
    expect(s.code, s.stderr).toBe(0);
    const res = JSON.parse(readFileSync(p('bres.json'), 'utf8'));
    expect(res.labels.map((row: number[]) => row[0])).toEqual(Array.from({ length: 10 }, (_, i) => i)); // each code finds itself
    expect(res.distances.map((row: number[]) => row[0])).toEqual(new Array(10).fill(0));
    const h = await cli('build', '-f', 'BHNSW16', '-i', p('bxb.npy'), '--ids', p('ids500.npy'), '-o', p('bhnsw.faiss'));
    expectOneLineError(h, /existing file for --ids/);
    writeFileSync(p('ids500.npy'), encodeNpy(BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 10n), [n]));
    const h2 = await cli('build', '-f', 'BHNSW16', '-i', p('bxb.npy'), '--ids', p('ids500.npy'), '-o', p('bhnsw.faiss'));
    expect(h2.code, h2.stderr).toBe(0);
    expect(h2.stderr).toMatch(/wrapped in an IndexBinaryIDMap/);
    const s2 = JSON.parse((await cli('search', p('bhnsw.faiss'), p('bxq.npy'), '-k', '1', '--ef', '64', '--json')).stdout);
    expect(s2).toMatchObject({ className: 'IndexBinaryIDMap', params: { efSearch: 64 } });
    expectOneLineError(await cli('build', '-f', 'BFlat', '-i', p('xb.npy'), '-o', p('x.faiss')), /expected uint8 codes \(d \/ 8 bytes per vector\) for --input of the binary index "BFlat", received float32/);
  });

  it('computeRecall follows FAISS: recall@k, 1-recall@1 and 1-recall@k', () => {
    const gt = BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]); // 2 queries x 3
    const res = BigInt64Array.from([2n, 1n, 9n, 5n, -1n, -1n]); // 2 queries x 3
    expect(computeRecall(res, 2, 3, gt, 3)).toEqual({ nq: 2, k: 3, recallAtK: 3 / 6, oneRecallAt1: 0, oneRecallAtK: 0.5 });
    expect(computeRecall(res, 2, 3, gt, 2).recallAtK).toBeNull();
  });
});

describe('helpful errors: one line, exit code 2, no stack trace unless --debug', () => {
  it('a missing file', async () => {
    expectOneLineError(await cli('search', p('nope.faiss'), p('xq.npy')), /^metalfaiss search: expected an existing file for the index file, received ".*nope\.faiss" \(no such file\) — check the path$/);
    expectOneLineError(await cli('build', '-f', 'Flat', '-i', p('nope.npy'), '-o', p('x.faiss')), /existing file for --input.*no such file/);
    expectOneLineError(await cli('info', p('nope.faiss')), /existing file for the index file/);
  });

  it('a wrong dimension between the index and the queries', async () => {
    await cli('build', '-f', 'Flat', '-i', p('xb.npy'), '-o', p('dim.faiss'), '-q');
    writeFileSync(p('q7.npy'), encodeNpy(rand(14, 3), [2, 7]));
    expectOneLineError(
      await cli('search', p('dim.faiss'), p('q7.npy')),
      /^metalfaiss search: expected queries of d = 24 \(the index's dimension\), received d = 7 per vector in ".*q7\.npy" — use queries from the same dataset as the index$/,
    );
    writeFileSync(p('t7.npy'), encodeNpy(rand(70, 3), [10, 7]));
    expectOneLineError(await cli('build', '-f', 'IVF4,Flat', '-i', p('xb.npy'), '--train', p('t7.npy'), '-o', p('x.faiss')), /expected --train vectors of d = 24/);
  });

  it('a factory string it cannot parse, or cannot build', async () => {
    expectOneLineError(await cli('build', '-f', 'Flaaat', '-i', p('xb.npy'), '-o', p('x.faiss')), /--factory "Flaaat".* — factory strings follow FAISS's index_factory/);
    expect(existsSync(p('x.faiss'))).toBe(false);
  });

  it('usage mistakes: unknown command, unknown option, missing option, bad numbers, --nprobe on a flat index, bad --out', async () => {
    expectOneLineError(await cli('serch'), /unknown command "serch"/);
    expectOneLineError(await cli('search', p('flat.faiss'), p('xq.npy'), '--nprobes', '3'), /unknown option --nprobes for `metalfaiss search` — run `metalfaiss help search`/);
    expectOneLineError(await cli('build', '-f', 'Flat', '-o', p('x.faiss')), /expected --input for `metalfaiss build`, received none — for example --input base\.npy/);
    expectOneLineError(await cli('search', p('flat.faiss'), p('xq.npy'), '-k', 'ten'), /expected an integer in \[1, 1048576\] for --k, received "ten"/);
    expectOneLineError(await cli('search', p('flat.faiss'), p('xq.npy'), '--nprobe', '4'), /--nprobe applies to IVF indexes.*IndexFlatL2 \(no inverted lists\)/);
    expectOneLineError(await cli('search', p('flat.faiss'), p('xq.npy'), '--ef', '4'), /--ef applies to HNSW indexes/);
    expectOneLineError(await cli('search', p('flat.faiss'), p('xq.npy'), '--out', p('r.csv')), /--out to end in \.json, \.npy or \.ivecs/);
    expectOneLineError(await cli('search', p('flat.faiss')), /expected an index file and a queries file/);
    expectOneLineError(await cli('build', '-f', 'Flat', '-i', p('xb.npy'), '-o', join(dir, 'no', 'such', 'dir', 'x.faiss')), /existing directory for --out/);
    expectOneLineError(await cli('search', p('xq.npy'), p('xq.npy')), /is not a readable FAISS index: .* — pass a file written by faiss.write_index/);
  });

  it('help and --version', async () => {
    const h = await cli('help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/metalfaiss build --factory/);
    expect((await cli('build', '--help')).stdout).toMatch(/--factory STR/);
    expect((await cli('--version')).stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect((await cli()).code).toBe(2);
  });

  it('an aborted build writes nothing and exits 130', async () => {
    const ac = new AbortController();
    ac.abort();
    let stderr = '';
    const code = await runCli(['build', '-f', 'Flat', '-i', p('xb.npy'), '-o', p('aborted.faiss'), '-q'], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      signal: ac.signal,
    });
    expect(code).toBe(130);
    expect(stderr).toMatch(/aborted|interrupted/);
    expect(existsSync(p('aborted.faiss'))).toBe(false);
  });
});

describe('the executable (dist/cli.js)', () => {
  const bin = join(pkgRoot, 'dist', 'cli.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });

  it('is built with a shebang and is the package bin', () => {
    expect(existsSync(bin), 'dist/cli.js is missing: run `pnpm --filter @metalfaiss/faiss-compat build` first').toBe(true);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8')).bin).toEqual({ metalfaiss: './dist/cli.js' });
  });

  it('exit code 2 and one line for a missing file; the stack only with --debug', () => {
    const r = run('search', 'missing.faiss', 'q.npy');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^metalfaiss search: expected an existing file for the index file, received "missing\.faiss" \(no such file\) — check the path\n$/);
    const dbg = run('search', 'missing.faiss', 'q.npy', '--debug');
    expect(dbg.status).toBe(2);
    expect(dbg.stderr).toMatch(/\n\s+at /);
  });

  it('builds and searches end to end', () => {
    const b = run('build', '--factory', 'Flat', '--input', p('xb.npy'), '--out', p('bin.faiss'));
    expect(b.status, b.stderr).toBe(0);
    const s = run('search', p('bin.faiss'), p('xq.npy'), '-k', '5', '--gt', p('gt.npy'), '--json');
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).recall).toMatchObject({ recallAtK: 1, oneRecallAt1: 1 });
  });
});

describe.runIf(faissAvailable())('with Python FAISS', () => {
  it('info and search read a file FAISS wrote; FAISS reads the index we built', async () => {
    runFaiss(
      `xb = load('xb', 'float32').reshape(-1, ${d})\nindex = faiss.IndexFlatIP(${d})\nindex.add(xb)\nfaiss.write_index(index, ${JSON.stringify(p('py.faiss'))})\n` +
        `ours = faiss.read_index(${JSON.stringify(p('flat.faiss'))})\nxq = load('xq', 'float32').reshape(-1, ${d})\n_, I = ours.search(xq, 10)\nsave('I', I.astype('int64'))\n` +
        `q = faiss.IndexFlatL2(${d})\ni2 = faiss.IndexIVFFlat(q, ${d}, 8)\ni2.train(xb)\ni2.add(xb)\nfaiss.write_index(i2, ${JSON.stringify(p('py-ivf.faiss'))})`,
      { xb, xq },
      [],
    );
    const info = await cli('info', p('py.faiss'));
    expect(info.stdout).toMatch(/IxFI IndexFlatIP d=24 ntotal=3000 trained metric=INNER_PRODUCT/);
    const ivf = JSON.parse((await cli('info', p('py-ivf.faiss'), '--json')).stdout);
    expect(ivf.index).toMatchObject({ className: 'IndexIVFFlat', params: { d: 24, ntotal: 3000, nlist: 8, nprobe: 1 } });
    expect(ivf.index.children.map((c: { role: string }) => c.role)).toEqual(['quantizer', 'invlists']);

    const s = await cli('search', p('py.faiss'), p('xq.npy'), '-k', '10', '--out', p('py-res.npy'));
    expect(s.code, s.stderr).toBe(0);
    const index = new faiss.IndexFlatIP(d);
    index.add(xb);
    expect(readArrayFile(p('py-res.npy')).data).toEqual(index.search(xq, 10)[1]);

    // an IVF file FAISS wrote searches here; FAISS searches the IVF file we wrote with our results
    const ivfOurs = await cli('search', p('py-ivf.faiss'), p('xq.npy'), '-k', '5', '--nprobe', '8', '--out', p('py-ivf.npy'));
    expect(ivfOurs.code, ivfOurs.stderr).toBe(0);
    const fromFaiss = runFaiss(
      `a = faiss.read_index(${JSON.stringify(p('py-ivf.faiss'))})\na.nprobe = 8\nxq = load('xq', 'float32').reshape(-1, ${d})\n_, I = a.search(xq, 5)\nsave('I', I.astype('int64'))\n` +
        `b = faiss.read_index(${JSON.stringify(p('ivf.faiss'))})\nb.nprobe = 3\n_, J = b.search(xq, 5)\nsave('J', J.astype('int64'))`,
      { xq },
      ['I', 'J'],
    );
    expect(readArrayFile(p('py-ivf.npy')).data).toEqual(asI64(fromFaiss.I));
    expect((await cli('search', p('ivf.faiss'), p('xq.npy'), '-k', '5', '--nprobe', '3', '--out', p('ivf3.npy'))).code).toBe(0);
    expect(readArrayFile(p('ivf3.npy')).data).toEqual(asI64(fromFaiss.J));

    // FAISS's own search of our file equals ours
    const out = runFaiss(
      `ours = faiss.read_index(${JSON.stringify(p('flat.faiss'))})\nxq = load('xq', 'float32').reshape(-1, ${d})\n_, I = ours.search(xq, 10)\nsave('I', I.astype('int64'))`,
      { xq },
      ['I'],
    );
    expect(asI64(out.I)).toEqual(faiss.read_index(p('flat.faiss')).search(xq, 10)[1]);
  });
});
