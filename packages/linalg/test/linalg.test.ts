import { describe, expect, it } from 'vitest';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { Matrix, asMatrix, innerProducts, l2SqrDistances, matmul, normalizeL2, rowNorms } from '../src/index';

describe('Matrix', () => {
  it('views rows without copying', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const m = new Matrix(data, 2, 3);
    m.row(1)[0] = 40;
    expect(data[3]).toBe(40);
    expect(m.rowRange(1, 2).rows).toBe(1);
    expect(m.transpose().data).toEqual(new Float32Array([1, 40, 2, 5, 3, 6]));
  });

  it('validates shapes', () => {
    expect(() => new Matrix(new Float32Array(5), 2, 3)).toThrow(/length 6 \(rows \* cols = 2 \* 3\)/);
    expect(() => new Matrix(new Float32Array(6), 2, 3).row(2)).toThrow(MetalFaissError);
  });
});

describe('asMatrix', () => {
  it('packs rows and views typed arrays', () => {
    const m = asMatrix([[1, 2], [3, 4]], 2);
    expect(m.rows).toBe(2);
    const f = new Float32Array(4);
    expect(asMatrix(f, 2).data).toBe(f);
  });
  it('rejects bad input with clear codes', () => {
    expect(() => asMatrix(new Float32Array(3), 2)).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    expect(() => asMatrix(new Int32Array(4) as never, 2)).toThrow(/received Int32Array/);
    expect(() => asMatrix([[1, 'a']] as never, 2)).toThrow(/number for x\[0\]\[1\]/);
    expect(() => asMatrix(new Float32Array([1, NaN]), 2)).toThrow(/NaN at row 0, component 1/);
    expect(() => asMatrix(new Float32Array(0), 2, { allowEmpty: false })).toThrow(/at least one vector/);
  });
});

describe('products', () => {
  const a = new Matrix(new Float32Array([1, 0, 2, 1, 1, 1]), 2, 3);
  const b = new Matrix(new Float32Array([0, 1, 0, 1, 1, 1, 2, 0, 0]), 3, 3);
  it('inner products and distances', () => {
    expect(Array.from(innerProducts(a, b).data)).toEqual([0, 3, 2, 1, 3, 2]);
    expect(Array.from(l2SqrDistances(a, b).data)).toEqual([6, 2, 5, 2, 0, 3]);
  });
  it('matmul', () => {
    const m = matmul(a, b.transpose());
    expect(Array.from(m.data)).toEqual([0, 3, 2, 1, 3, 2]);
    expect(() => matmul(a, a)).toThrow(/a.cols === b.rows/);
  });
  it('normalizes rows in place, leaving zero rows', () => {
    const x = new Float32Array([3, 4, 0, 0]);
    normalizeL2(x, 2);
    expect(Array.from(x)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
    expect(Array.from(rowNorms(new Matrix(x, 2, 2))).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([1, 0]);
  });
});
