// AVX-512 nearest-centroid search for the PQ k-means step (dense.cc picks it
// at run time when the CPU has AVX-512F). Compiled with -march=x86-64-v4;
// per the isa/ rule, it defines nothing with external linkage but the one
// entry point and uses no C++ library templates.
#include <immintrin.h>

#include <cstdint>

namespace mk {

// For points [i0, i1) and all M sub-spaces: assign[i * M + m] = nearest
// centroid (lowest index on ties), dist[i * M + m] = |x|^2 + min(|c|^2 - 2 x.c).
// ct: M x dsub x ksub (transposed centroids), cn: M x ksub squared norms.
// ksub must be a multiple of 16.
void dense_pq_nearest_avx512(const float* x, int64_t i0, int64_t i1, int64_t M, int64_t ksub, int64_t dsub, const float* ct,
                             const float* cn, int32_t* assign, float* dist) {
  const int64_t d = M * dsub;
  const __m512i sixteen = _mm512_set1_epi32(16);
  for (int64_t i = i0; i < i1; i++) {
    for (int64_t m = 0; m < M; m++) {
      const float* xs = x + i * d + m * dsub;
      const float* c = ct + m * dsub * ksub;
      const float* nrm = cn + m * ksub;
      __m512 bestv = _mm512_set1_ps(__builtin_inff());
      __m512i besti = _mm512_setzero_si512();
      __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      for (int64_t j = 0; j < ksub; j += 16) {
        __m512 acc = _mm512_loadu_ps(nrm + j);
        for (int64_t t = 0; t < dsub; t++) acc = _mm512_fmadd_ps(_mm512_set1_ps(-2.0f * xs[t]), _mm512_loadu_ps(c + t * ksub + j), acc);
        const __mmask16 lt = _mm512_cmp_ps_mask(acc, bestv, _CMP_LT_OQ);
        bestv = _mm512_mask_mov_ps(bestv, lt, acc);
        besti = _mm512_mask_mov_epi32(besti, lt, idx);
        idx = _mm512_add_epi32(idx, sixteen);
      }
      const float mn = _mm512_reduce_min_ps(bestv);
      const __mmask16 eq = _mm512_cmp_ps_mask(bestv, _mm512_set1_ps(mn), _CMP_EQ_OQ);
      const int32_t arg = _mm512_mask_reduce_min_epi32(eq, besti);
      float xn = 0;
      for (int64_t t = 0; t < dsub; t++) xn += xs[t] * xs[t];
      assign[i * M + m] = arg;
      dist[i * M + m] = xn + mn;
    }
  }
}

}  // namespace mk
