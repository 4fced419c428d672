/**
 * VectorTransform records <-> @metalfaiss/indexes transform objects. Not a
 * registry mapping (transforms are not indexes): IndexPreTransform's mapping
 * (io/composite.ts), and any other index that embeds a transform, call
 * `transformFromRecord` / `transformToRecord`.
 */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';

function ioError(fourcc: string, what: string): MetalFaissError {
  return new MetalFaissError('IO_FORMAT', `invalid ${fourcc} transform in the file: ${what}`);
}

function setLinear(t: ix.LinearTransform, r: io.LinearTransformRecord | io.PCAMatrixRecord | io.ITQMatrixRecord): void {
  t.haveBias = r.haveBias;
  if (r.A.length === 0) {
    if (r.isTrained) throw ioError(r.fourcc, 'is_trained is set but the matrix A is empty');
    return;
  }
  if (r.A.length !== r.dIn * r.dOut) throw ioError(r.fourcc, `A holds ${r.A.length} values, expected d_out * d_in = ${r.dOut * r.dIn}`);
  if (r.haveBias && r.b.length !== r.dOut) throw ioError(r.fourcc, `b holds ${r.b.length} values, expected d_out = ${r.dOut}`);
  t.setMatrix(r.A, r.b);
}

/** A transform object for a VectorTransform record (FAISS's read_VectorTransform). */
export function transformFromRecord(r: io.VectorTransformRecord): ix.VectorTransform {
  switch (r.fourcc) {
    case 'LTra': {
      const t = new ix.LinearTransform(r.dIn, r.dOut, r.haveBias);
      setLinear(t, r);
      return t;
    }
    case 'rrot': {
      const t = new ix.RandomRotationMatrix(r.dIn, r.dOut);
      setLinear(t, r);
      return t;
    }
    case 'Pcam':
    case 'PcAm':
    case 'PCAm': {
      if (r.dOut > r.dIn) throw ioError(r.fourcc, `d_out = ${r.dOut} exceeds d_in = ${r.dIn}`);
      const t = new ix.PCAMatrix(r.dIn, r.dOut, r.eigenPower, r.randomRotation);
      t.epsilon = r.epsilon;
      t.balancedBins = r.balancedBins;
      t.haveBias = r.haveBias;
      if (r.isTrained) {
        if (r.A.length !== r.dIn * r.dOut) throw ioError(r.fourcc, `A holds ${r.A.length} values, expected ${r.dOut * r.dIn}`);
        t.setTrainedState({ mean: r.mean, eigenvalues: r.eigenvalues, PCAMat: r.PCAMat, A: r.A, b: r.b });
      } else {
        t.mean = r.mean;
        t.eigenvalues = r.eigenvalues;
        t.PCAMat = r.PCAMat;
      }
      return t;
    }
    case 'Viqm': {
      if (r.dIn !== r.dOut) throw ioError(r.fourcc, `ITQMatrix must be square, d_in = ${r.dIn}, d_out = ${r.dOut}`);
      const t = new ix.ITQMatrix(r.dIn);
      t.maxIter = r.maxIter;
      t.seed = r.seed;
      setLinear(t, r);
      return t;
    }
    case 'Viqt': {
      const t = new ix.ITQTransform(r.dIn, r.dOut, r.doPca);
      const itq = transformFromRecord(r.itq) as ix.ITQMatrix;
      t.itq.maxIter = itq.maxIter;
      t.itq.seed = itq.seed;
      if (itq.isTrained) t.itq.setMatrix(itq.A, itq.b.length ? itq.b : undefined);
      const lin = r.pcaThenItq;
      if (lin.dIn !== r.dIn || lin.dOut !== r.dOut) throw ioError('Viqt', 'the merged PCA+ITQ matrix has the wrong shape');
      if (lin.A.length) t.pcaThenItq.setMatrix(lin.A, lin.b.length ? lin.b : undefined);
      t.mean = r.mean;
      if (r.isTrained) t.setTrained();
      return t;
    }
    case 'VNrm':
      if (r.dIn !== r.dOut) throw ioError(r.fourcc, 'd_in and d_out differ');
      return new ix.NormalizationTransform(r.dIn, r.norm);
    case 'VCnt': {
      if (r.dIn !== r.dOut) throw ioError(r.fourcc, 'd_in and d_out differ');
      const t = new ix.CenteringTransform(r.dIn);
      if (r.mean.length) t.setMean(r.mean);
      else if (r.isTrained) throw ioError(r.fourcc, 'is_trained is set but the mean is empty');
      return t;
    }
    case 'RmDT':
      return new ix.RemapDimensionsTransform(r.dIn, r.dOut, r.map);
    default:
      throw new MetalFaissError('UNSUPPORTED', `the ${(r as { fourcc: string }).fourcc} transform is not supported`);
  }
}

function linearFields(t: ix.LinearTransform): { haveBias: boolean; A: Float32Array; b: Float32Array } {
  return { haveBias: t.haveBias, A: t.A, b: t.b };
}

function common(t: ix.VectorTransform): { dIn: number; dOut: number; isTrained: boolean } {
  return { dIn: t.dIn, dOut: t.dOut, isTrained: t.isTrained };
}

/** The record FAISS's write_VectorTransform writes for a transform object. */
export function transformToRecord(t: ix.VectorTransform): io.VectorTransformRecord {
  if (t instanceof ix.PCAMatrix) {
    return {
      fourcc: 'Pcam',
      ...common(t),
      ...linearFields(t),
      eigenPower: t.eigenPower,
      epsilon: t.epsilon,
      randomRotation: t.randomRotation,
      balancedBins: t.balancedBins,
      mean: t.mean,
      eigenvalues: t.eigenvalues,
      PCAMat: t.PCAMat,
    };
  }
  if (t instanceof ix.ITQMatrix) return { fourcc: 'Viqm', ...common(t), ...linearFields(t), maxIter: t.maxIter, seed: t.seed };
  if (t instanceof ix.RandomRotationMatrix) return { fourcc: 'rrot', ...common(t), ...linearFields(t) };
  // FAISS writes every other linear transform (OPQMatrix included) as a plain LTra
  if (t instanceof ix.LinearTransform) return { fourcc: 'LTra', ...common(t), ...linearFields(t) };
  if (t instanceof ix.ITQTransform) {
    return {
      fourcc: 'Viqt',
      ...common(t),
      mean: t.mean,
      doPca: t.doPca,
      itq: transformToRecord(t.itq) as io.ITQMatrixRecord,
      pcaThenItq: transformToRecord(t.pcaThenItq) as io.LinearFamilyRecord,
    };
  }
  if (t instanceof ix.NormalizationTransform) return { fourcc: 'VNrm', ...common(t), norm: t.norm };
  if (t instanceof ix.CenteringTransform) return { fourcc: 'VCnt', ...common(t), mean: t.mean };
  if (t instanceof ix.RemapDimensionsTransform) return { fourcc: 'RmDT', ...common(t), map: t.map };
  throw new MetalFaissError('UNSUPPORTED', `writing a ${t.constructor.name} to FAISS's format is not supported`);
}
