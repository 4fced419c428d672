// The HNSW distance kernels, written once against a SIMD adapter `V` and
// included by each hnsw-*.cc inside an anonymous namespace (internal
// linkage, see hnsw-isa.h). Not a normal header: no include guard on purpose.
//
// The including file defines, before including this:
//   struct V { using R = <vector>; static constexpr int W = <lanes>;
//              zero, load (unaligned), load_tail (first n lanes, rest 0),
//              add, sub, fmadd, hsum };
//   constexpr int kAcc = <independent accumulators per stream: 2 or 4>;
//
// Summation order (per stream): accumulator a runs over the chunks
// k = c * kAcc * W + a * W; the tail (fewer than W lanes) goes into
// accumulator 1; the accumulators are added pairwise, then reduced
// lane-wise by hsum. The 1-wide and 4-wide forms share it exactly.

using R = V::R;

template <bool kL2>
inline void accumulate_one(const float* x, const float* y, int64_t d, R (&a)[kAcc]) {
  for (int i = 0; i < kAcc; i++) a[i] = V::zero();
  int64_t k = 0;
  for (; k + kAcc * V::W <= d; k += kAcc * V::W) {
#pragma GCC unroll 4
    for (int i = 0; i < kAcc; i++) {
      const R xv = V::load(x + k + i * V::W);
      const R yv = V::load(y + k + i * V::W);
      if (kL2) {
        const R t = V::sub(xv, yv);
        a[i] = V::fmadd(t, t, a[i]);
      } else {
        a[i] = V::fmadd(xv, yv, a[i]);
      }
    }
  }
  int i = 0;
  for (; k + V::W <= d; k += V::W, i++) {
    const R xv = V::load(x + k);
    const R yv = V::load(y + k);
    if (kL2) {
      const R t = V::sub(xv, yv);
      a[i] = V::fmadd(t, t, a[i]);
    } else {
      a[i] = V::fmadd(xv, yv, a[i]);
    }
  }
  if (k < d) {
    const int n = static_cast<int>(d - k);
    const R xv = V::load_tail(x + k, n);
    const R yv = V::load_tail(y + k, n);
    if (kL2) {
      const R t = V::sub(xv, yv);
      a[1] = V::fmadd(t, t, a[1]);
    } else {
      a[1] = V::fmadd(xv, yv, a[1]);
    }
  }
}

template <int N>
inline float reduce(const R (&a)[N]) {
  if constexpr (N == 4) {
    return V::hsum(V::add(V::add(a[0], a[1]), V::add(a[2], a[3])));
  } else {
    static_assert(N == 2, "kAcc must be 2 or 4");
    return V::hsum(V::add(a[0], a[1]));
  }
}

template <bool kL2>
inline float dis1(const float* x, const float* y, int64_t d) {
  R a[kAcc];
  accumulate_one<kL2>(x, y, d, a);
  return reduce(a);
}

// Four streams at once: the same operations as dis1 per stream, interleaved
// so that four independent vectors are in flight.
template <bool kL2>
inline void dis4(const float* x, const float* const* yy, int64_t d, float* out) {
  const float* y0 = yy[0];
  const float* y1 = yy[1];
  const float* y2 = yy[2];
  const float* y3 = yy[3];
  R a0[kAcc], a1[kAcc], a2[kAcc], a3[kAcc];
  for (int i = 0; i < kAcc; i++) a0[i] = a1[i] = a2[i] = a3[i] = V::zero();
  int64_t k = 0;
  for (; k + kAcc * V::W <= d; k += kAcc * V::W) {
#pragma GCC unroll 4
    for (int i = 0; i < kAcc; i++) {
      const int64_t o = k + i * V::W;
      const R xv = V::load(x + o);
      if (kL2) {
        const R t0 = V::sub(xv, V::load(y0 + o));
        const R t1 = V::sub(xv, V::load(y1 + o));
        const R t2 = V::sub(xv, V::load(y2 + o));
        const R t3 = V::sub(xv, V::load(y3 + o));
        a0[i] = V::fmadd(t0, t0, a0[i]);
        a1[i] = V::fmadd(t1, t1, a1[i]);
        a2[i] = V::fmadd(t2, t2, a2[i]);
        a3[i] = V::fmadd(t3, t3, a3[i]);
      } else {
        a0[i] = V::fmadd(xv, V::load(y0 + o), a0[i]);
        a1[i] = V::fmadd(xv, V::load(y1 + o), a1[i]);
        a2[i] = V::fmadd(xv, V::load(y2 + o), a2[i]);
        a3[i] = V::fmadd(xv, V::load(y3 + o), a3[i]);
      }
    }
  }
  int i = 0;
  for (; k + V::W <= d; k += V::W, i++) {
    const R xv = V::load(x + k);
    if (kL2) {
      const R t0 = V::sub(xv, V::load(y0 + k));
      const R t1 = V::sub(xv, V::load(y1 + k));
      const R t2 = V::sub(xv, V::load(y2 + k));
      const R t3 = V::sub(xv, V::load(y3 + k));
      a0[i] = V::fmadd(t0, t0, a0[i]);
      a1[i] = V::fmadd(t1, t1, a1[i]);
      a2[i] = V::fmadd(t2, t2, a2[i]);
      a3[i] = V::fmadd(t3, t3, a3[i]);
    } else {
      a0[i] = V::fmadd(xv, V::load(y0 + k), a0[i]);
      a1[i] = V::fmadd(xv, V::load(y1 + k), a1[i]);
      a2[i] = V::fmadd(xv, V::load(y2 + k), a2[i]);
      a3[i] = V::fmadd(xv, V::load(y3 + k), a3[i]);
    }
  }
  if (k < d) {
    const int n = static_cast<int>(d - k);
    const R xv = V::load_tail(x + k, n);
    if (kL2) {
      const R t0 = V::sub(xv, V::load_tail(y0 + k, n));
      const R t1 = V::sub(xv, V::load_tail(y1 + k, n));
      const R t2 = V::sub(xv, V::load_tail(y2 + k, n));
      const R t3 = V::sub(xv, V::load_tail(y3 + k, n));
      a0[1] = V::fmadd(t0, t0, a0[1]);
      a1[1] = V::fmadd(t1, t1, a1[1]);
      a2[1] = V::fmadd(t2, t2, a2[1]);
      a3[1] = V::fmadd(t3, t3, a3[1]);
    } else {
      a0[1] = V::fmadd(xv, V::load_tail(y0 + k, n), a0[1]);
      a1[1] = V::fmadd(xv, V::load_tail(y1 + k, n), a1[1]);
      a2[1] = V::fmadd(xv, V::load_tail(y2 + k, n), a2[1]);
      a3[1] = V::fmadd(xv, V::load_tail(y3 + k, n), a3[1]);
    }
  }
  out[0] = reduce(a0);
  out[1] = reduce(a1);
  out[2] = reduce(a2);
  out[3] = reduce(a3);
}

float l2sqr(const float* x, const float* y, int64_t d) { return dis1<true>(x, y, d); }
float ip(const float* x, const float* y, int64_t d) { return dis1<false>(x, y, d); }
void l2sqr4(const float* x, const float* const* y, int64_t d, float* out) { dis4<true>(x, y, d, out); }
void ip4(const float* x, const float* const* y, int64_t d, float* out) { dis4<false>(x, y, d, out); }
