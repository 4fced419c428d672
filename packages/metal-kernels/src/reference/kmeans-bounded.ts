/**
 * Reference grouped and bounded k-means assignment: every distance in
 * float64, rounded to float32 once (as the kmeansAssign reference), ties to
 * the lower centroid number. The bounded form follows the native algorithm
 * step by step (same bounds, same margins); its distances are the
 * reference's, so on data whose distances are exact in float32 (small
 * integers) both agree bit for bit. Assumes validated arguments.
 */
import type { KmeansAssignBoundedArgs, KmeansAssignGroupsArgs, KmeansBoundedStats } from '../kmeans-bounded';
import { l2Sqr, rowNormSqr } from './distances';

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The largest float32 <= v (v finite or +Infinity); NaN stays NaN. */
export function floatDown(v: number): number {
  const f = Math.fround(v);
  if (!(f > v)) return f;
  // one float32 step towards -Infinity
  if (f === 0) return -1.401298464324817e-45;
  f32[0] = f;
  i32[0] += f > 0 ? -1 : 1;
  return f32[0];
}

/** The smallest float32 >= v (v >= 0 or +Infinity); NaN stays NaN. */
export function floatUp(v: number): number {
  const f = Math.fround(v);
  if (!(f < v)) return f;
  f32[0] = f;
  i32[0] += f >= 0 ? 1 : -1;
  return f32[0];
}

/** Members of each group, increasing centroid number. */
function membersOf(groups: Int32Array, t: number, g: number): number[][] {
  const out: number[][] = [];
  for (let j = 0; j < t; j++) {
    const m: number[] = [];
    for (let s = 0; s < g; s++) if (groups[j * g + s] >= 0) m.push(groups[j * g + s]);
    m.sort((a, b) => a - b);
    out.push(m);
  }
  return out;
}

/** The nearest member, its distance, and the second distance (float32 distances; ties to the lower number). */
function groupTop2(x: Float32Array, i: number, c: Float32Array, d: number, members: number[]): { b1: number; a1: number; b2: number } {
  let b1 = Infinity;
  let a1 = -1;
  let b2 = Infinity;
  for (const id of members) {
    const v = Math.fround(l2Sqr(x, i, c, id, d));
    if (v < b1) {
      b2 = b1;
      b1 = v;
      a1 = id;
    } else if (v < b2) {
      b2 = v;
    }
  }
  return { b1, a1, b2 };
}

export function kmeansAssignGroupsReference(args: KmeansAssignGroupsArgs): void {
  const { x, n, d, centroids, t, g, best, labels, second } = args;
  const mask = args.mask ?? null;
  const members = membersOf(args.groups, t, g);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < t; j++) {
      const o = i * t + j;
      if (mask && !mask[o]) continue;
      const r = groupTop2(x, i, centroids, d, members[j]);
      best[o] = r.b1;
      labels[o] = BigInt(r.a1);
      second[o] = r.b2;
    }
  }
}

export function kmeansAssignBoundedReference(args: KmeansAssignBoundedArgs): KmeansBoundedStats {
  const { x, n, d, centroids, k, t, g, drift, labels, lower, distances } = args;
  const members = membersOf(args.groups, t, g);
  const groupOf = new Int32Array(k);
  members.forEach((m, j) => m.forEach((id) => (groupOf[id] = j)));
  const first = drift === null;
  // the native kernel's margin (it bounds the reference's rounding too)
  const u = 2 ** -24;
  let gam = (d + 4) * u;
  const usable = gam < 0.25;
  gam /= 1 - gam;
  let cmax = 0;
  for (let c = 0; c < k; c++) {
    const v = Math.fround(rowNormSqr(centroids, c, d));
    cmax = v <= Number.MAX_VALUE ? Math.max(cmax, v) : Infinity;
  }
  const cmaxUp = Math.sqrt(cmax * (1 + 2 * gam));
  const stats: KmeansBoundedStats = { pruned: 0, evaluated: 0 };
  const need = new Uint8Array(t);
  const gb1 = new Float64Array(t);
  const ga1 = new Int32Array(t);
  const gb2 = new Float64Array(t);
  for (let i = 0; i < n; i++) {
    const xn = args.xNorms ? args.xNorms[i] : Math.fround(rowNormSqr(x, i, d));
    const a = Math.sqrt(Math.max(0, xn) * (1 + 2 * gam)) + cmaxUp;
    const e = gam * (a * a) * (1 + 1e-9);
    const o = i * t;
    const old = first ? -1 : Number(labels[i]);
    // the own distance, as a score (distance minus |x|^2), and the point's needs
    const own = first ? Infinity : Math.fround(l2Sqr(x, i, centroids, old, d));
    const sOwn = own - xn;
    if (first) {
      need.fill(1);
    } else {
      const thr = Math.sqrt(Math.max(0, xn * (1 + 2 * gam) + sOwn + e)) * (1 + 1e-12);
      const thrUp = usable && Number.isFinite(thr) && Number.isFinite(e) ? floatUp(thr) : Infinity;
      let any = false;
      for (let j = 0; j < t; j++) {
        // float32 steps, as the native kernel: (lower - drift) two ulps down, tiny / negative / NaN to 0
        let v = Math.fround(lower[o + j] - floatUp(drift[j]));
        if (v !== Infinity) v = Math.fround(v - Math.abs(v) * 2 ** -22); // +Infinity (no other centroid) stays
        v = v > 2 ** -100 ? v : 0;
        lower[o + j] = v;
        need[j] = v > thrUp ? 0 : 1;
        if (need[j]) any = true;
      }
      if (!any) stats.pruned++;
    }
    let bestD = own;
    let arg = first ? -1 : old;
    if (!(bestD < Infinity)) {
      bestD = Infinity;
      arg = -1;
    }
    for (let j = 0; j < t; j++) {
      if (!need[j]) continue;
      stats.evaluated++;
      const r = groupTop2(x, i, centroids, d, members[j]);
      gb1[j] = r.b1;
      ga1[j] = r.a1;
      gb2[j] = r.b2;
      if (r.a1 < 0) continue;
      if (r.b1 < bestD || (r.b1 === bestD && r.a1 < arg)) {
        bestD = r.b1;
        arg = r.a1;
      }
    }
    labels[i] = BigInt(arg);
    distances[i] = arg < 0 ? Infinity : bestD;
    const lowerOf = (dist: number): number => {
      if (!(dist < Infinity)) return dist;
      return floatDown(Math.sqrt(Math.max(0, xn * (1 - 2 * gam) + (dist - xn) - e)) * (1 - 1e-12));
    };
    for (let j = 0; j < t; j++) {
      if (!need[j]) continue;
      lower[o + j] = lowerOf(ga1[j] >= 0 && ga1[j] === arg ? gb2[j] : gb1[j]);
    }
    if (!first && arg !== old) {
      const go = groupOf[old];
      if (!need[go]) lower[o + go] = Math.min(lower[o + go], lowerOf(own));
    }
  }
  return stats;
}
