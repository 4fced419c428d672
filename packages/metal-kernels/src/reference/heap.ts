/**
 * A bounded selection of the k best (score, index) pairs, where a smaller
 * score is better and equal scores are ordered by the lower index. Both
 * backends use "score" this way: squared L2 distance as is, inner product and
 * "largest" top-k negated. A candidate enters only if it is strictly better
 * than the padding (score < +Infinity), so NaN and +Infinity never appear.
 */
export class TopKSelector {
  readonly k: number;
  private size = 0;
  private readonly scores: Float64Array;
  private readonly ids: Float64Array;

  constructor(k: number) {
    this.k = k;
    this.scores = new Float64Array(k);
    this.ids = new Float64Array(k);
  }

  reset(): void {
    this.size = 0;
  }

  /** Heap order: the root is the worst kept entry. */
  private worse(a: number, b: number): boolean {
    const sa = this.scores[a];
    const sb = this.scores[b];
    return sa > sb || (sa === sb && this.ids[a] > this.ids[b]);
  }

  private swap(a: number, b: number): void {
    const s = this.scores[a];
    this.scores[a] = this.scores[b];
    this.scores[b] = s;
    const i = this.ids[a];
    this.ids[a] = this.ids[b];
    this.ids[b] = i;
  }

  push(score: number, id: number): void {
    if (!(score < Infinity)) return; // NaN and +Infinity never enter
    if (this.size < this.k) {
      let c = this.size++;
      this.scores[c] = score;
      this.ids[c] = id;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!this.worse(c, p)) break;
        this.swap(c, p);
        c = p;
      }
      return;
    }
    const top = this.scores[0];
    if (!(score < top || (score === top && id < this.ids[0]))) return;
    this.scores[0] = score;
    this.ids[0] = id;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.worse(r, l) ? r : l;
      if (!this.worse(c, p)) break;
      this.swap(c, p);
      p = c;
    }
  }

  /**
   * Writes the kept entries best first into out[offset .. offset + k):
   * value = sign * score (sign -1 undoes the negation), id + labelOffset;
   * the tail is padded with `padValue` and label -1.
   */
  drain(
    outValues: Float32Array,
    outLabels: BigInt64Array,
    offset: number,
    sign: 1 | -1,
    padValue: number,
    labelOffset: number,
  ): void {
    const order: number[] = [];
    for (let i = 0; i < this.size; i++) order.push(i);
    order.sort((a, b) => this.scores[a] - this.scores[b] || this.ids[a] - this.ids[b]);
    for (let i = 0; i < this.k; i++) {
      if (i < order.length) {
        const e = order[i];
        outValues[offset + i] = sign * this.scores[e];
        outLabels[offset + i] = BigInt(this.ids[e]) + BigInt(labelOffset);
      } else {
        outValues[offset + i] = padValue;
        outLabels[offset + i] = -1n;
      }
    }
    this.size = 0;
  }
}
