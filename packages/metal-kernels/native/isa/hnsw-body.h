// The HNSW distance kernels, written once against a SIMD adapter `V` and
// included by each hnsw-*.cc inside an anonymous namespace (internal
// linkage, see hnsw-isa.h). Not a normal header: no include guard on purpose.
//
// The including file defines, before including this:
//   struct V { using R = <vector>; static constexpr int W = <lanes>;
//              zero, load (unaligned), load_tail (first n lanes, rest 0),
//              load_u8 / load_i8 (W bytes to W floats), load_u8_tail /
//              load_i8_tail, add, sub, fmadd, hsum };
//   constexpr int kAcc = <independent accumulators per stream: 2 or 4>;
//
// Summation order (per stream): accumulator a runs over the chunks
// k = c * kAcc * W + a * W; the remaining full vectors go to accumulators
// 0, 1, ...; the tail (fewer than W lanes) into accumulator 1; then the
// accumulators are added pairwise and reduced lane-wise by hsum. The 1-wide
// and 4-wide forms, and the float / uint8 / int8 element types, share it.

using R = V::R;

struct LF32 {
  using T = float;
  static inline R load(const T* p) { return V::load(p); }
  static inline R tail(const T* p, int n) { return V::load_tail(p, n); }
};
struct LU8 {
  using T = uint8_t;
  static inline R load(const T* p) { return V::load_u8(p); }
  static inline R tail(const T* p, int n) { return V::load_u8_tail(p, n); }
};
struct LI8 {
  using T = int8_t;
  static inline R load(const T* p) { return V::load_i8(p); }
  static inline R tail(const T* p, int n) { return V::load_i8_tail(p, n); }
};

template <bool kL2>
inline R step(R xv, R yv, R acc) {
  if (kL2) {
    const R t = V::sub(xv, yv);
    return V::fmadd(t, t, acc);
  }
  return V::fmadd(xv, yv, acc);
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

template <bool kL2, class LX, class LY>
inline float dis1(const typename LX::T* x, const typename LY::T* y, int64_t d) {
  R a[kAcc];
  for (int i = 0; i < kAcc; i++) a[i] = V::zero();
  int64_t k = 0;
  for (; k + kAcc * V::W <= d; k += kAcc * V::W) {
#pragma GCC unroll 4
    for (int i = 0; i < kAcc; i++) a[i] = step<kL2>(LX::load(x + k + i * V::W), LY::load(y + k + i * V::W), a[i]);
  }
  int i = 0;
  for (; k + V::W <= d; k += V::W, i++) a[i] = step<kL2>(LX::load(x + k), LY::load(y + k), a[i]);
  if (k < d) {
    const int n = static_cast<int>(d - k);
    a[1] = step<kL2>(LX::tail(x + k, n), LY::tail(y + k, n), a[1]);
  }
  return reduce(a);
}

// Four streams at once: the same operations as dis1 per stream, interleaved
// so that four independent vectors are in flight.
template <bool kL2, class LY>
inline void dis4(const float* x, const void* const* yy, int64_t d, float* out) {
  using T = typename LY::T;
  const T* y0 = static_cast<const T*>(yy[0]);
  const T* y1 = static_cast<const T*>(yy[1]);
  const T* y2 = static_cast<const T*>(yy[2]);
  const T* y3 = static_cast<const T*>(yy[3]);
  R a0[kAcc], a1[kAcc], a2[kAcc], a3[kAcc];
  for (int i = 0; i < kAcc; i++) a0[i] = a1[i] = a2[i] = a3[i] = V::zero();
  int64_t k = 0;
  for (; k + kAcc * V::W <= d; k += kAcc * V::W) {
#pragma GCC unroll 4
    for (int i = 0; i < kAcc; i++) {
      const int64_t o = k + i * V::W;
      const R xv = V::load(x + o);
      a0[i] = step<kL2>(xv, LY::load(y0 + o), a0[i]);
      a1[i] = step<kL2>(xv, LY::load(y1 + o), a1[i]);
      a2[i] = step<kL2>(xv, LY::load(y2 + o), a2[i]);
      a3[i] = step<kL2>(xv, LY::load(y3 + o), a3[i]);
    }
  }
  int i = 0;
  for (; k + V::W <= d; k += V::W, i++) {
    const R xv = V::load(x + k);
    a0[i] = step<kL2>(xv, LY::load(y0 + k), a0[i]);
    a1[i] = step<kL2>(xv, LY::load(y1 + k), a1[i]);
    a2[i] = step<kL2>(xv, LY::load(y2 + k), a2[i]);
    a3[i] = step<kL2>(xv, LY::load(y3 + k), a3[i]);
  }
  if (k < d) {
    const int n = static_cast<int>(d - k);
    const R xv = V::load_tail(x + k, n);
    a0[1] = step<kL2>(xv, LY::tail(y0 + k, n), a0[1]);
    a1[1] = step<kL2>(xv, LY::tail(y1 + k, n), a1[1]);
    a2[1] = step<kL2>(xv, LY::tail(y2 + k, n), a2[1]);
    a3[1] = step<kL2>(xv, LY::tail(y3 + k, n), a3[1]);
  }
  out[0] = reduce(a0);
  out[1] = reduce(a1);
  out[2] = reduce(a2);
  out[3] = reduce(a3);
}

template <bool kL2, class LY>
float query_dis(const float* x, const void* y, int64_t d) {
  return dis1<kL2, LF32, LY>(x, static_cast<const typename LY::T*>(y), d);
}
template <bool kL2, class LY>
void query_dis4(const float* x, const void* const* y, int64_t d, float* out) {
  dis4<kL2, LY>(x, y, d, out);
}
template <bool kL2, class L>
float sym_dis(const void* a, const void* b, int64_t d) {
  return dis1<kL2, L, L>(static_cast<const typename L::T*>(a), static_cast<const typename L::T*>(b), d);
}

// Portable exact integer dot (used by the generic level, and for tails).
inline int64_t idot_scalar(const uint8_t* a, const uint8_t* b, int64_t d, uint8_t xa, uint8_t xb) {
  int64_t s = 0;
  for (int64_t i = 0; i < d; i++) s += static_cast<int64_t>(static_cast<uint8_t>(a[i] ^ xa)) * static_cast<int8_t>(b[i] ^ xb);
  return s;
}

#define MK_HNSW_TABLE(NAME)                                                                              \
  {                                                                                                      \
    NAME,                                                                                                \
        {{&query_dis<false, LF32>, &query_dis<false, LU8>, &query_dis<false, LI8>},                      \
         {&query_dis<true, LF32>, &query_dis<true, LU8>, &query_dis<true, LI8>}},                        \
        {{&query_dis4<false, LF32>, &query_dis4<false, LU8>, &query_dis4<false, LI8>},                   \
         {&query_dis4<true, LF32>, &query_dis4<true, LU8>, &query_dis4<true, LI8>}},                     \
        {{&sym_dis<false, LF32>, &sym_dis<false, LU8>, &sym_dis<false, LI8>},                            \
         {&sym_dis<true, LF32>, &sym_dis<true, LU8>, &sym_dis<true, LI8>}},                              \
        &idot, &idot4,                                                                                   \
  }
