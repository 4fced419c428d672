/**
 * The CLI's array files: .npy (read and written, checked against NumPy when
 * /usr/bin/python3 has it), .fvecs/.ivecs/.bvecs, .fbin/.u8bin/.ibin and raw
 * files, and a one-line error for every malformed input.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, encodeVecs, readArrayFile, readIds, readLabels, readVectors } from '../src/cli/formats';

const dir = mkdtempSync(join(tmpdir(), 'mf-cli-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string): string => join(dir, name);

const numpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!numpy) console.warn('NumPy cross-checks skipped: /usr/bin/python3 cannot import numpy (install python3-faiss, which brings python3-numpy, to enable)');

function py(script: string): void {
  const r = spawnSync('/usr/bin/python3', ['-c', `import numpy as np\nD = ${JSON.stringify(dir)}\n${script}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

function seq(n: number, f = (i: number) => i * 0.5 - 3): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f(i));
}

function expectCliError(fn: () => unknown, code: string, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    const err = e as { code?: string; message: string; hint?: string };
    expect(err.code).toBe(code);
    expect(err.message).toMatch(pattern);
    expect(err.message).not.toContain('\n');
    return;
  }
  throw new Error('expected an error');
}

describe('.npy', () => {
  it('round trips float32, uint8, int32 and int64 in 1-D and 2-D shapes', () => {
    const cases = [
      { data: seq(12), shape: [3, 4], dtype: 'float32' },
      { data: Uint8Array.from({ length: 10 }, (_, i) => i * 25), shape: [5, 2], dtype: 'uint8' },
      { data: Int32Array.from([1, -2, 3]), shape: [3], dtype: 'int32' },
      { data: BigInt64Array.from([1n, -1n, 2n ** 62n, 7n]), shape: [2, 2], dtype: 'int64' },
    ] as const;
    for (const c of cases) {
      const p = path(`rt-${c.dtype}.npy`);
      const bytes = encodeNpy(c.data, [...c.shape]);
      expect((bytes.length - c.data.byteLength) % 64).toBe(0); // header padded to 64 bytes
      writeFileSync(p, bytes);
      const r = readArrayFile(p);
      expect(r.dtype).toBe(c.dtype);
      expect(r.shape).toEqual([...c.shape]);
      expect(Array.from(r.data as ArrayLike<number | bigint>)).toEqual(Array.from(c.data as ArrayLike<number | bigint>));
      if (c.shape.length === 2) expect([r.n, r.d]).toEqual([...c.shape]);
    }
  });

  it('a 1-D array is one vector, or n rows with --dim', () => {
    writeFileSync(path('flat.npy'), encodeNpy(seq(12), [12]));
    expect(readVectors(path('flat.npy'))).toMatchObject({ n: 1, d: 12 });
    expect(readVectors(path('flat.npy'), { dim: 4 })).toMatchObject({ n: 3, d: 4 });
    expectCliError(() => readVectors(path('flat.npy'), { dim: 5 }), 'IO_FORMAT', /multiple of --dim 5/);
  });

  it('reads files NumPy wrote (versions 1.0 and 2.0) and NumPy reads ours', { skip: !numpy }, () => {
    py(`
a = (np.arange(6 * 5, dtype='float32') * 0.25 - 1).reshape(6, 5)
np.save(D + '/np-f32.npy', a)
np.save(D + '/np-u8.npy', np.arange(8, dtype='uint8').reshape(2, 4))
np.save(D + '/np-i64.npy', np.array([[2**60, -1], [3, 4]], dtype='int64'))
np.save(D + '/np-bool.npy', np.array([True]))
np.save(D + '/np-f8.npy', a.astype('float64'))
np.save(D + '/np-be.npy', a.astype('>f4'))
np.save(D + '/np-fortran.npy', np.asfortranarray(a))
np.save(D + '/np-3d.npy', np.zeros((2, 2, 2), dtype='float32'))
np.save(D + '/np-struct.npy', np.zeros(3, dtype=[('a', '<f4'), ('b', '<i4')]))
import numpy.lib.format as f
with open(D + '/np-v2.npy', 'wb') as fh:
    f.write_array(fh, a, version=(2, 0))
`);
    const a = readVectors(path('np-f32.npy'));
    expect([a.n, a.d]).toEqual([6, 5]);
    expect(Array.from(a.data)).toEqual(Array.from(seq(30, (i) => i * 0.25 - 1)));
    expect(Array.from(readVectors(path('np-v2.npy')).data)).toEqual(Array.from(a.data));
    const u8 = readVectors(path('np-u8.npy'));
    expect(u8.conversion).toMatch(/uint8/);
    expect(Array.from(u8.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(readLabels(path('np-i64.npy')).labels)).toEqual([2n ** 60n, -1n, 3n, 4n]);
    expectCliError(() => readVectors(path('np-f8.npy')), 'IO_FORMAT', /dtype <f8/);
    expectCliError(() => readVectors(path('np-bool.npy')), 'IO_FORMAT', /dtype \|b1/);
    expectCliError(() => readVectors(path('np-be.npy')), 'IO_FORMAT', /big-endian/);
    expectCliError(() => readVectors(path('np-fortran.npy')), 'IO_FORMAT', /Fortran-order/);
    expectCliError(() => readVectors(path('np-3d.npy')), 'IO_FORMAT', /1-D or 2-D/);
    expectCliError(() => readVectors(path('np-struct.npy')), 'IO_FORMAT', /plain dtype/);

    writeFileSync(path('ours-i64.npy'), encodeNpy(BigInt64Array.from([5n, -1n, 2n ** 40n]), [3, 1]));
    writeFileSync(path('ours-f32.npy'), encodeNpy(seq(6), [2, 3]));
    py(`
i = np.load(D + '/ours-i64.npy'); f = np.load(D + '/ours-f32.npy')
assert i.dtype == np.int64 and i.shape == (3, 1) and i.tolist() == [[5], [-1], [2**40]], i
assert f.dtype == np.float32 and f.shape == (2, 3) and f.ravel().tolist() == [x * 0.5 - 3 for x in range(6)], f
`);
  });

  it('refuses truncated files, trailing bytes and other magic', () => {
    const good = encodeNpy(seq(8), [2, 4]);
    writeFileSync(path('trunc.npy'), good.subarray(0, good.length - 3));
    writeFileSync(path('trail.npy'), Buffer.concat([good, Buffer.from([0, 0, 0, 0])]));
    writeFileSync(path('magic.npy'), Buffer.from('not a numpy file at all'));
    expectCliError(() => readVectors(path('trunc.npy')), 'IO_FORMAT', /received 157 bytes/);
    expectCliError(() => readVectors(path('trail.npy')), 'IO_FORMAT', /received 164 bytes/);
    expectCliError(() => readVectors(path('magic.npy')), 'IO_FORMAT', /magic/);
  });
});

describe('TEXMEX, big-ann and raw files', () => {
  it('.fvecs / .ivecs / .bvecs', () => {
    writeFileSync(path('a.fvecs'), encodeVecs(seq(12), 4));
    writeFileSync(path('a.ivecs'), encodeVecs(Int32Array.from([1, 2, 3, 4, 5, 6]), 3));
    const b = Buffer.alloc(2 * (4 + 3));
    for (let i = 0; i < 2; i++) {
      b.writeInt32LE(3, i * 7);
      for (let j = 0; j < 3; j++) b[i * 7 + 4 + j] = 10 * i + j;
    }
    writeFileSync(path('a.bvecs'), b);
    expect(readVectors(path('a.fvecs'))).toMatchObject({ n: 3, d: 4, data: seq(12) });
    expect(readLabels(path('a.ivecs'))).toMatchObject({ n: 2, k: 3, labels: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]) });
    expect(Array.from(readVectors(path('a.bvecs')).data)).toEqual([0, 1, 2, 10, 11, 12]);
    // a row with another d, and a size that is not a whole number of rows
    const bad = Buffer.from(encodeVecs(seq(8), 4));
    bad.writeInt32LE(5, 20);
    writeFileSync(path('bad.fvecs'), bad);
    expectCliError(() => readVectors(path('bad.fvecs')), 'IO_FORMAT', /d = 5 at vector 1/);
    writeFileSync(path('cut.fvecs'), encodeVecs(seq(8), 4).subarray(0, 30));
    expectCliError(() => readVectors(path('cut.fvecs')), 'IO_FORMAT', /multiple of 20 bytes/);
    expectCliError(() => readVectors(path('a.fvecs'), { dim: 5 }), 'DIMENSION_MISMATCH', /--dim 5/);
  });

  it('.fbin / .u8bin / .ibin', () => {
    const head = Buffer.alloc(8);
    head.writeInt32LE(2, 0);
    head.writeInt32LE(3, 4);
    writeFileSync(path('a.fbin'), Buffer.concat([head, Buffer.from(seq(6).buffer)]));
    writeFileSync(path('a.u8bin'), Buffer.concat([head, Buffer.from([1, 2, 3, 4, 5, 6])]));
    writeFileSync(path('a.ibin'), Buffer.concat([head, Buffer.from(Int32Array.from([9, 8, 7, 6, 5, 4]).buffer)]));
    expect(readVectors(path('a.fbin'))).toMatchObject({ n: 2, d: 3, data: seq(6) });
    expect(Array.from(readVectors(path('a.u8bin')).data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readLabels(path('a.ibin')).labels[0]).toBe(9n);
    writeFileSync(path('short.fbin'), Buffer.concat([head, Buffer.from(seq(5).buffer)]));
    expectCliError(() => readVectors(path('short.fbin')), 'IO_FORMAT', /truncated|32 bytes/);
  });

  it('raw files need --dim', () => {
    writeFileSync(path('a.f32'), Buffer.from(seq(12).buffer));
    expect(readVectors(path('a.f32'), { dim: 4 })).toMatchObject({ n: 3, d: 4, data: seq(12) });
    expectCliError(() => readVectors(path('a.f32')), 'INVALID_ARGUMENT', /expected --dim D for the raw \.f32 file/);
    expectCliError(() => readVectors(path('a.f32'), { dim: 5 }), 'IO_FORMAT', /multiple of 20 bytes/);
    writeFileSync(path('ids.i64'), Buffer.from(BigInt64Array.from([7n, 8n, 9n]).buffer));
    expect(Array.from(readIds(path('ids.i64'), 3))).toEqual([7n, 8n, 9n]);
    expectCliError(() => readIds(path('ids.i64'), 4), 'DIMENSION_MISMATCH', /expected 4 ids/);
  });

  it('integer files are not vectors, float files are not labels; unknown extensions, missing files and directories', () => {
    writeFileSync(path('ids.npy'), encodeNpy(BigInt64Array.from([1n, 2n]), [2]));
    expectCliError(() => readVectors(path('ids.npy'), { role: '--input' }), 'INVALID_ARGUMENT', /float32 or uint8 vectors for --input, received int64/);
    writeFileSync(path('f.npy'), encodeNpy(seq(4), [2, 2]));
    expectCliError(() => readLabels(path('f.npy'), { role: '--gt' }), 'INVALID_ARGUMENT', /int64 or int32 values for --gt, received float32/);
    expectCliError(() => readVectors(path('x.csv')), 'INVALID_ARGUMENT', /expected a file ending in \.npy/);
    expectCliError(() => readVectors(path('missing.npy'), { role: 'the queries' }), 'INVALID_ARGUMENT', /existing file for the queries, received ".*missing\.npy" \(no such file\)/);
    mkdirSync(path('folder.npy'));
    expectCliError(() => readVectors(path('folder.npy')), 'INVALID_ARGUMENT', /a directory/);
  });
});
