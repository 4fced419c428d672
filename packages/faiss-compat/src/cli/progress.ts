/**
 * Progress on stderr. On a terminal: one line redrawn in place (a bar with
 * percent, count, rate and elapsed time; a spinner with elapsed time when
 * the total is unknown). Elsewhere (pipes, CI logs, tests): a line at the
 * start, at every quarter and at the end, so logs stay short.
 */

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export function formatSeconds(s: number): string {
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(n >= 1e5 ? 0 : 1)}k`;
  return String(Math.round(n));
}

const SPINNER = ['|', '/', '-', '\\'];
const BAR_WIDTH = 30;

export class Progress {
  readonly #stream: OutStream;
  readonly #label: string;
  #total: number | null;
  #step = '';
  readonly #unit: string;
  readonly #tty: boolean;
  readonly #quiet: boolean;
  readonly #start: number;
  #done = 0;
  #lastDraw = 0;
  #lastQuarter = -1;
  #spin = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #finished = false;

  /**
   * @param total the amount of work (e.g. vectors), or null when unknown
   *   (an elapsed-time spinner, redrawn by a timer while the event loop is free)
   */
  constructor(stream: OutStream, label: string, total: number | null, options: { unit?: string; quiet?: boolean } = {}) {
    this.#stream = stream;
    this.#label = label;
    this.#total = total;
    this.#unit = options.unit ?? '';
    this.#tty = stream.isTTY === true;
    this.#quiet = options.quiet === true;
    this.#start = performance.now();
    if (this.#quiet) return;
    if (this.#tty) {
      this.#draw();
      if (total === null) {
        this.#timer = setInterval(() => this.#draw(), 200);
        this.#timer.unref?.();
      }
    } else if (total === null) {
      // a log line every 10 s while the event loop is free (async work runs off it)
      this.#timer = setInterval(() => this.#stream.write(`${label}: running, ${formatSeconds(this.elapsed)}\n`), 10_000);
      this.#timer.unref?.();
    }
  }

  get elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }

  /** Sets the amount done so far. */
  update(done: number): void {
    this.#done = done;
    if (this.#quiet || this.#finished) return;
    if (this.#tty) {
      const now = performance.now();
      if (now - this.#lastDraw >= 100) this.#draw();
      return;
    }
    // without a terminal, quarter lines only for work that takes a while
    if (this.#total && this.elapsed >= 1) {
      const quarter = Math.floor((4 * done) / this.#total);
      if (quarter > this.#lastQuarter && quarter > 0 && quarter < 4) {
        this.#lastQuarter = quarter;
        this.#stream.write(`${this.#label}${this.#step ? ` (${this.#step})` : ''}: ${quarter * 25}% (${formatCount(done)}/${formatCount(this.#total)}) ${formatSeconds(this.elapsed)}\n`);
      }
    }
  }

  /**
   * A progress report from the library (options.onProgress of train/add):
   * the bar becomes determinate with the step's own total.
   */
  report(step: string, done: number, total: number): void {
    if (this.#step !== step || this.#total !== total) {
      this.#step = step;
      this.#total = total;
      this.#lastQuarter = -1;
      if (this.#timer && this.#tty) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    }
    this.update(done);
  }

  /** Ends the line with a summary ("done in ..." by default). */
  finish(summary?: string): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#quiet) return;
    const text = `${this.#label}: ${summary ?? `done in ${formatSeconds(this.elapsed)}`}`;
    this.#stream.write(this.#tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }

  /** Ends the line without a summary (on errors). */
  abandon(why: string): void {
    this.finish(why);
  }

  #draw(): void {
    this.#lastDraw = performance.now();
    const t = this.elapsed;
    let line: string;
    const label = this.#step ? `${this.#label} (${this.#step})` : this.#label;
    if (this.#total === null) {
      line = `${label}: ${SPINNER[this.#spin++ % SPINNER.length]} ${formatSeconds(t)}`;
    } else {
      const frac = this.#total > 0 ? Math.min(1, this.#done / this.#total) : 1;
      const filled = Math.round(frac * BAR_WIDTH);
      const rate = t > 0 ? this.#done / t : 0;
      line =
        `${label}: [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
        `${formatCount(this.#done)}/${formatCount(this.#total)}${this.#unit ? ' ' + this.#unit : ''} ${formatSeconds(t)}` +
        (rate > 0 && this.#done < this.#total ? `, ${formatCount(rate)}/s` : '');
    }
    this.#stream.write(`\r\x1b[K${line}`);
  }
}
