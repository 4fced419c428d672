// AVX-512 (x86-64-v4) kernels. Compiled with -march=x86-64-v4; only reached
// when the CPU supports it (cpu-dispatch.cc).
#include <immintrin.h>

#include <cstdint>

#include "isa.h"

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
  static inline R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static inline R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  // MAXPS returns its second operand when either is NaN: NaN stays NaN.
  static inline R max0(R x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }
  static inline uint32_t lt(R a, R b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static inline float hsum(R x) { return _mm512_reduce_add_ps(x); }
};

constexpr int kMR = 12;  // database rows per micro-tile: 12 x 2 zmm accumulators
constexpr int kNV = 2;   // 32 queries per panel

constexpr int kSQ = 4;  // queries per streaming pass
#define kSQ_MAX 4

#include "isa-body.inc"

}  // namespace

const IsaKernels* isa_avx512() {
  static const IsaKernels k = {"avx512", kMR, kNR, &pack_queries, &gemm_rows, &stream_rows, &norms, &scan_row};
  return &k;
}

}  // namespace mk
