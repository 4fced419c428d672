/**
 * VectorTransform records: LTra, rrot, Pcam/PcAm/PCAm, Viqm, Viqt, VNrm,
 * VCnt, RmDT. Each is a fourcc, a type-specific part, then the common tail
 * d_in (i32), d_out (i32), is_trained (bool).
 */
import type { Cursor } from '../cursor';
import type { Encoder } from '../encoder';
import type {
  ITQMatrixRecord,
  LinearFamilyRecord,
  VectorTransformRecord,
} from '../records';
import { MAX_D } from './blocks';

const LINEAR = new Set(['LTra', 'rrot', 'Pcam', 'PcAm', 'PCAm', 'Viqm']);
const ALL = new Set([...LINEAR, 'Viqt', 'VNrm', 'VCnt', 'RmDT']);

interface Tail {
  dIn: number;
  dOut: number;
  isTrained: boolean;
}

function readTail(c: Cursor): Tail {
  const atI = c.offset;
  const dIn = c.i32('dIn');
  if (dIn < 0 || dIn > MAX_D) c.fail('dIn', `a dimension in [0, ${MAX_D}]`, String(dIn), atI);
  const atO = c.offset;
  const dOut = c.i32('dOut');
  if (dOut < 0 || dOut > MAX_D) c.fail('dOut', `a dimension in [0, ${MAX_D}]`, String(dOut), atO);
  const isTrained = c.bool('isTrained');
  return { dIn, dOut, isTrained };
}

/** Checks the linear part once the dimensions are known. */
function linearProblem(r: { haveBias: boolean; A: Float32Array; b: Float32Array; dIn: number; dOut: number; isTrained: boolean }):
  | [string, string, string]
  | undefined {
  const full = r.dIn * r.dOut;
  if (r.A.length !== 0 && r.A.length !== full) return ['A', `0 or dOut * dIn = ${full} floats`, `${r.A.length} floats`];
  if (r.isTrained && r.A.length !== full) return ['A', `dOut * dIn = ${full} floats for a trained transform`, `${r.A.length} floats`];
  if (r.b.length !== 0 && r.b.length !== r.dOut) return ['b', `0 or dOut = ${r.dOut} floats`, `${r.b.length} floats`];
  if (r.haveBias && r.A.length !== 0 && r.b.length !== r.dOut) return ['b', `dOut = ${r.dOut} floats when haveBias is set`, `${r.b.length} floats`];
  return undefined;
}

export function readVectorTransform(c: Cursor): VectorTransformRecord {
  const h = c.fourcc('transform fourcc');
  if (!ALL.has(h.text)) {
    if (h.text === 'HRot') c.fail('transform fourcc', 'a VectorTransform known to FAISS 1.7.3', 'fourcc "HRot" (HadamardRotation, newer FAISS)', h.at);
    c.failFourcc('transform fourcc', 'a VectorTransform fourcc (LTra, rrot, Pcam, PcAm, PCAm, Viqm, Viqt, VNrm, VCnt or RmDT)', h);
  }
  c.enter(h.text);
  try {
    const start = h.at;
    let rec: VectorTransformRecord;
    if (LINEAR.has(h.text)) {
      let extra: Record<string, unknown> = {};
      if (h.text === 'Pcam' || h.text === 'PcAm' || h.text === 'PCAm') {
        const eigenPower = c.f32('eigenPower');
        const epsilon = h.text === 'Pcam' ? c.f32('epsilon') : 0;
        const randomRotation = c.bool('randomRotation');
        const balancedBins = h.text !== 'PCAm' ? c.i32('balancedBins') : 0;
        const mean = c.vector(Float32Array, 'mean');
        const eigenvalues = c.vector(Float32Array, 'eigenvalues');
        const PCAMat = c.vector(Float32Array, 'PCAMat');
        extra = { eigenPower, epsilon, randomRotation, balancedBins, mean, eigenvalues, PCAMat };
      } else if (h.text === 'Viqm') {
        const maxIter = c.i32('maxIter');
        const seed = c.i32('seed');
        extra = { maxIter, seed };
      }
      const haveBias = c.bool('haveBias');
      const A = c.vector(Float32Array, 'A');
      const b = c.vector(Float32Array, 'b');
      const tail = readTail(c);
      rec = { fourcc: h.text, ...extra, haveBias, A, b, ...tail } as LinearFamilyRecord;
      const bad = linearProblem(rec);
      if (bad) c.fail(bad[0], bad[1], `${bad[2]} (transform starting at byte offset ${start})`);
      if (rec.fourcc === 'Pcam' || rec.fourcc === 'PcAm' || rec.fourcc === 'PCAm') {
        if (rec.mean.length !== 0 && rec.mean.length !== rec.dIn) {
          c.fail('mean', `0 or dIn = ${rec.dIn} floats`, `${rec.mean.length} floats (transform starting at byte offset ${start})`);
        }
      }
    } else if (h.text === 'Viqt') {
      const mean = c.vector(Float32Array, 'mean');
      const doPca = c.bool('doPca');
      const itqAt = c.offset;
      const itq = readVectorTransform(c);
      if (itq.fourcc !== 'Viqm') c.fail('itq', 'an ITQMatrix ("Viqm")', `fourcc "${itq.fourcc}"`, itqAt);
      const piAt = c.offset;
      const pcaThenItq = readVectorTransform(c);
      if (!LINEAR.has(pcaThenItq.fourcc)) c.fail('pcaThenItq', 'a linear transform', `fourcc "${pcaThenItq.fourcc}"`, piAt);
      const tail = readTail(c);
      rec = { fourcc: 'Viqt', mean, doPca, itq: itq as ITQMatrixRecord, pcaThenItq: pcaThenItq as LinearFamilyRecord, ...tail };
      if (!(mean.length === tail.dIn || (mean.length === 0 && !tail.isTrained))) {
        c.fail('mean', `dIn = ${tail.dIn} floats`, `${mean.length} floats (transform starting at byte offset ${start})`);
      }
    } else if (h.text === 'VNrm') {
      const norm = c.f32('norm');
      const tail = readTail(c);
      if (tail.dIn !== tail.dOut) c.fail('dOut', `dIn = ${tail.dIn}`, String(tail.dOut));
      rec = { fourcc: 'VNrm', norm, ...tail };
    } else if (h.text === 'VCnt') {
      const mean = c.vector(Float32Array, 'mean');
      const tail = readTail(c);
      if (tail.dIn !== tail.dOut) c.fail('dOut', `dIn = ${tail.dIn}`, String(tail.dOut));
      if (!(mean.length === tail.dIn || (mean.length === 0 && !tail.isTrained))) {
        c.fail('mean', `dIn = ${tail.dIn} floats`, `${mean.length} floats (transform starting at byte offset ${start})`);
      }
      rec = { fourcc: 'VCnt', mean, ...tail };
    } else {
      const map = c.vector(Int32Array, 'map');
      const tail = readTail(c);
      if (map.length !== tail.dOut) c.fail('map', `dOut = ${tail.dOut} entries`, `${map.length} entries`);
      for (let i = 0; i < map.length; i++) {
        if (map[i] < -1 || map[i] >= tail.dIn) c.fail(`map[${i}]`, `-1 or an input dimension in [0, ${tail.dIn})`, String(map[i]));
      }
      rec = { fourcc: 'RmDT', map, ...tail };
    }
    return rec;
  } finally {
    c.leave();
  }
}

function writeTail(e: Encoder, r: Tail): void {
  e.i32(r.dIn, 'dIn', 0, MAX_D);
  e.i32(r.dOut, 'dOut', 0, MAX_D);
  e.bool(r.isTrained, 'isTrained');
}

export function writeVectorTransform(e: Encoder, r: VectorTransformRecord): void {
  if (typeof r !== 'object' || r === null || !ALL.has((r as { fourcc?: string }).fourcc as string)) {
    e.fail('transform', 'a VectorTransformRecord (fourcc LTra, rrot, Pcam, PcAm, PCAm, Viqm, Viqt, VNrm, VCnt or RmDT)', r);
  }
  e.enter(r.fourcc);
  try {
    e.int(r.dIn, 'dIn', 0, MAX_D);
    e.int(r.dOut, 'dOut', 0, MAX_D);
    e.fourcc(r.fourcc);
    switch (r.fourcc) {
      case 'LTra':
      case 'rrot':
      case 'Pcam':
      case 'PcAm':
      case 'PCAm':
      case 'Viqm': {
        const A = e.typed(r.A, Float32Array, 'A');
        const b = e.typed(r.b, Float32Array, 'b');
        if (typeof r.haveBias !== 'boolean') e.fail('haveBias', 'a boolean', r.haveBias);
        if (typeof r.isTrained !== 'boolean') e.fail('isTrained', 'a boolean', r.isTrained);
        const bad = linearProblem({ haveBias: r.haveBias, A, b, dIn: r.dIn, dOut: r.dOut, isTrained: r.isTrained });
        if (bad) e.fail(bad[0], bad[1], bad[2]);
        if (r.fourcc === 'Pcam' || r.fourcc === 'PcAm' || r.fourcc === 'PCAm') {
          e.f32(r.eigenPower, 'eigenPower');
          if (r.fourcc === 'Pcam') e.f32(r.epsilon, 'epsilon');
          e.bool(r.randomRotation, 'randomRotation');
          if (r.fourcc !== 'PCAm') e.i32(r.balancedBins, 'balancedBins');
          const mean = e.typed(r.mean, Float32Array, 'mean');
          if (mean.length !== 0 && mean.length !== r.dIn) e.fail('mean', `a Float32Array of length 0 or dIn = ${r.dIn}`, mean);
          e.vector(mean, Float32Array, 'mean');
          e.vector(r.eigenvalues, Float32Array, 'eigenvalues');
          e.vector(r.PCAMat, Float32Array, 'PCAMat');
        } else if (r.fourcc === 'Viqm') {
          e.i32(r.maxIter, 'maxIter');
          e.i32(r.seed, 'seed');
        }
        e.bool(r.haveBias, 'haveBias');
        e.vector(A, Float32Array, 'A');
        e.vector(b, Float32Array, 'b');
        break;
      }
      case 'Viqt': {
        const mean = e.typed(r.mean, Float32Array, 'mean');
        if (mean.length !== r.dIn && !(mean.length === 0 && !r.isTrained)) e.fail('mean', `a Float32Array of length dIn = ${r.dIn}`, mean);
        e.vector(mean, Float32Array, 'mean');
        e.bool(r.doPca, 'doPca');
        if (typeof r.itq !== 'object' || r.itq === null || r.itq.fourcc !== 'Viqm') e.fail('itq', 'an ITQMatrixRecord ("Viqm")', r.itq);
        writeVectorTransform(e, r.itq);
        if (typeof r.pcaThenItq !== 'object' || r.pcaThenItq === null || !LINEAR.has(r.pcaThenItq.fourcc)) {
          e.fail('pcaThenItq', 'a linear transform record', r.pcaThenItq);
        }
        writeVectorTransform(e, r.pcaThenItq);
        break;
      }
      case 'VNrm':
        if (r.dIn !== r.dOut) e.fail('dOut', `dIn = ${r.dIn}`, r.dOut);
        e.f32(r.norm, 'norm');
        break;
      case 'VCnt': {
        if (r.dIn !== r.dOut) e.fail('dOut', `dIn = ${r.dIn}`, r.dOut);
        const mean = e.typed(r.mean, Float32Array, 'mean');
        if (mean.length !== r.dIn && !(mean.length === 0 && !r.isTrained)) e.fail('mean', `a Float32Array of length dIn = ${r.dIn}`, mean);
        e.vector(mean, Float32Array, 'mean');
        break;
      }
      case 'RmDT': {
        const map = e.typed(r.map, Int32Array, 'map', r.dOut, `dOut = ${r.dOut}`);
        for (let i = 0; i < map.length; i++) {
          if (map[i] < -1 || map[i] >= r.dIn) e.fail(`map[${i}]`, `-1 or an input dimension in [0, ${r.dIn})`, map[i]);
        }
        e.vector(map, Int32Array, 'map');
        break;
      }
    }
    writeTail(e, r);
  } finally {
    e.leave();
  }
}
