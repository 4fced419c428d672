import type { ResultRow } from './rows';

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text (CRLF-free, '\n' line ends) with a header line. */
export function toCsv(columns: string[], rows: Array<Record<string, unknown>>): string {
  const lines = [columns.map(csvField).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(r[c])).join(','));
  return lines.join('\n') + '\n';
}

/** The columns of results.csv, in order. */
export const RESULT_COLUMNS = [
  'scenario', 'dataset', 'impl', 'mode', 'params', 'threads', 'nq', 'k',
  'recall', 'r1', 'qps', 'seconds', 'medianSeconds', 'p50', 'p95', 'p99',
  'buildSeconds', 'memoryBytes', 'ratioVsFaiss', 'gflops', 'peakFraction',
  'labelMismatches', 'labelTies', 'note',
] as const satisfies ReadonlyArray<keyof ResultRow>;

const HEADER_NAMES: Record<(typeof RESULT_COLUMNS)[number], string> = {
  scenario: 'scenario', dataset: 'dataset', impl: 'impl', mode: 'mode', params: 'params', threads: 'threads',
  nq: 'nq', k: 'k', recall: 'recall_at_k', r1: 'one_recall_at_1', qps: 'qps', seconds: 'batch_best_s',
  medianSeconds: 'batch_median_s', p50: 'latency_p50_ms', p95: 'latency_p95_ms', p99: 'latency_p99_ms',
  buildSeconds: 'build_s', memoryBytes: 'memory_bytes', ratioVsFaiss: 'ratio_vs_faiss', gflops: 'gflops',
  peakFraction: 'peak_fraction', labelMismatches: 'label_mismatches_vs_faiss', labelTies: 'label_ties_vs_faiss', note: 'note',
};

/** results.csv text for result rows. */
export function resultsCsv(rows: ResultRow[]): string {
  const cols = RESULT_COLUMNS.map((c) => HEADER_NAMES[c]);
  const mapped = rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const c of RESULT_COLUMNS) o[HEADER_NAMES[c]] = r[c];
    return o;
  });
  return toCsv(cols, mapped);
}

/** Parses CSV text (RFC 4180, as written above) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
