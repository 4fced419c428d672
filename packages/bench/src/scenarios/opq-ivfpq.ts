/**
 * Scenario `opq-ivfpq`: the OPQ target, FAISS's
 * `OPQ16_64,IVF1024,PQ16` recipe (sizes adapted to the dataset as in `opq`;
 * `np`: neither side does polysemous training, as in the target's FAISS
 * figure), built by the same factory string on both sides in one run, FAISS
 * at its best (best of 1 and 2 threads, BLAS variables dropped, passive OpenMP).
 *
 * Reported beside the usual nprobe sweep rows:
 * - training time, ours / FAISS's (target: at most 0.2x);
 * - queries per second at nprobe 16, ours / FAISS's, and at equal recall:
 *   FAISS's qps interpolated (log-linearly between its sweep points) at the
 *   recall we reach with nprobe 16 (target: at least 2x).
 */
import type { Dataset } from '../datasets/types';
import type { ResultRow } from '../report/rows';
import { annScenario, nlistFor, pqMFor, type AnnSpec } from './ann';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types';

export function opqFactory(ds: Dataset): string {
  const dOut = Math.min(64, ds.d - (ds.d % pqMFor(Math.min(64, ds.d))));
  const m = pqMFor(dOut);
  return `OPQ${m}_${dOut},IVF${nlistFor(ds.nb)},PQ${m}np`;
}

const spec: AnnSpec = {
  name: 'opq-ivfpq',
  summary: 'OPQ16_64,IVF1024,PQ16 (np) at nprobe 16 and a sweep: training-time and equal-recall qps ratios vs FAISS at its best',
  factory: opqFactory,
  sweep: (ds) => {
    const nlist = nlistFor(ds.nb);
    const out = [];
    for (let p = 1; p <= Math.min(nlist, 128); p *= 2) out.push({ label: `nprobe=${p}`, ours: { nprobe: p }, faiss: `nprobe=${p}` });
    return out;
  },
};

/** FAISS's qps at a given recall, interpolated log-linearly in qps between its sweep points (null outside its range). */
export function qpsAtRecall(rows: ResultRow[], recall: number): number | null {
  const pts = rows.filter((r) => r.recall !== null && r.qps !== null).sort((a, b) => a.recall! - b.recall!);
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i];
    const b = pts[i + 1];
    if (recall >= a.recall! && recall <= b.recall!) {
      if (b.recall === a.recall) return Math.max(a.qps!, b.qps!);
      const t = (recall - a.recall!) / (b.recall! - a.recall!);
      return Math.exp(Math.log(a.qps!) * (1 - t) + Math.log(b.qps!) * t);
    }
  }
  return null;
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const out = await annScenario(spec).run(ctx);
  const ours = out.rows.filter((r) => r.impl === 'metalfaiss');
  const faiss = out.rows.filter((r) => r.impl === 'faiss');
  const d = out.details as { ours?: { trainSeconds: number; addSeconds: number }; faiss?: { trainSeconds: { value: number; threads: number } } };
  const summary: Record<string, number | null> = {};
  if (d.ours && d.faiss) {
    const ratio = d.ours.trainSeconds / d.faiss.trainSeconds.value;
    summary.trainRatio = ratio;
    out.notes.push(
      `training: ours ${d.ours.trainSeconds.toFixed(1)} s, FAISS ${d.faiss.trainSeconds.value.toFixed(1)} s (${d.faiss.trainSeconds.threads} threads): ${ratio.toFixed(3)}x (target <= 0.2x)`,
    );
  }
  const o16 = ours.find((r) => r.params === 'nprobe=16');
  const f16 = faiss.find((r) => r.params === 'nprobe=16');
  if (o16 && f16 && o16.qps && f16.qps) {
    summary.qpsRatioNprobe16 = o16.qps / f16.qps;
    const atRecall = o16.recall === null ? null : qpsAtRecall(faiss, o16.recall);
    summary.qpsRatioEqualRecall = atRecall ? o16.qps / atRecall : null;
    out.notes.push(
      `nprobe 16: ours ${o16.qps.toFixed(0)} qps at recall@${ctx.settings.k} ${o16.recall?.toFixed(4)}, FAISS ${f16.qps.toFixed(0)} qps at ${f16.recall?.toFixed(4)} (${summary.qpsRatioNprobe16.toFixed(2)}x); ` +
        (atRecall
          ? `FAISS interpolated to our recall: ${atRecall.toFixed(0)} qps, ours ${summary.qpsRatioEqualRecall!.toFixed(2)}x (target >= 2x)`
          : 'our recall is outside FAISS\'s sweep, no equal-recall ratio'),
    );
  }
  out.details.targets = summary;
  return out;
}

export const opqIvfpqScenario: Scenario = {
  name: 'opq-ivfpq',
  summary: spec.summary,
  defaultDataset: 'default',
  defaults: { nq: 1000, k: 10 },
  run,
};
