// IVF scan loops for AVX-512 (x86-64-v4); compiled with -march=x86-64-v4 and
// reached only when the CPU has it (picked with the dispatcher's level).
#include <immintrin.h>

#include <cstdint>

#include "ivf-isa.h"

namespace mk {
namespace {

struct V {
  using R = __m512;
  static constexpr int W = 16;
  static inline R zero() { return _mm512_setzero_ps(); }
  static inline R set1(float x) { return _mm512_set1_ps(x); }
  static inline R load(const float* p) { return _mm512_loadu_ps(p); }
  static inline R load_tail(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
  }
  static inline void store(float* p, R x) { _mm512_storeu_ps(p, x); }
  static inline R add(R a, R b) { return _mm512_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static inline R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static inline R max0(R x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }  // NaN stays NaN
  static inline uint32_t lt(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static inline float hsum(R x) { return _mm512_reduce_add_ps(x); }
};

constexpr int kRR = 6;  // rows per tile
#define IVF_KQR 4
constexpr int kQR = IVF_KQR;  // queries per tile

#include "ivf-body.inc"

}  // namespace

const IvfIsaKernels* ivf_isa_avx512() {
  static const IvfIsaKernels k = {"avx512", kRR, kQR, &norms, &scan_dot};
  return &k;
}

}  // namespace mk
