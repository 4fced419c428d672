// k-means assignment loop in portable GCC/Clang vector extensions.
#include <cstdint>

#include "kmeans-isa.h"

namespace mk {
namespace {

typedef float vf8 __attribute__((vector_size(32), aligned(4)));

struct V {
  using R = vf8;
  static constexpr int W = 8;
  static inline R zero() { return R{0, 0, 0, 0, 0, 0, 0, 0}; }
  static inline R set1(float x) { return R{x, x, x, x, x, x, x, x}; }
  static inline R load(const float* p) {
    R r;
    __builtin_memcpy(&r, p, sizeof(r));
    return r;
  }
  static inline R load_tail(const float* p, int n) {
    R r = zero();
    for (int i = 0; i < n; i++) r[i] = p[i];
    return r;
  }
  static inline void store(float* p, R x) { __builtin_memcpy(p, &x, sizeof(x)); }
  static inline R add(R a, R b) { return a + b; }
  static inline R fmadd(R a, R b, R c) { return a * b + c; }
  static inline R select_lt(R a, R b, R x, R y) {
    R r = y;
    for (int i = 0; i < W; i++)
      if (a[i] < b[i]) r[i] = x[i];
    return r;
  }
  static inline float hsum(R x) {
    float s = 0.0f;
    for (int i = 0; i < W; i++) s += x[i];
    return s;
  }
  static inline float hmin(R x) {
    float s = x[0];
    for (int i = 1; i < W; i++) s = x[i] < s ? x[i] : s;
    return s;
  }
  static inline uint32_t eq_mask(R a, float v) {
    uint32_t m = 0;
    for (int i = 0; i < W; i++)
      if (a[i] == v) m |= 1u << i;
    return m;
  }
  static inline void transpose(R (&r)[W]) {
    R o[W];
    for (int c = 0; c < W; c++)
      for (int i = 0; i < W; i++) o[c][i] = r[i][c];
    for (int c = 0; c < W; c++) r[c] = o[c];
  }
};

constexpr int kMR = 4;
constexpr int kNV = 1;

#include "kmeans-body.inc"

}  // namespace

const KmeansIsaKernels* kmeans_isa_generic() {
#if defined(__aarch64__) || defined(__ARM_NEON)
  static const KmeansIsaKernels k = {"neon", kNR, kMR, &scratch_floats, &pack, &norms, &assign_block,
                                         &rows_scratch_floats, &group_rows, &pair_scores, &accumulate};
#else
  static const KmeansIsaKernels k = {"scalar", kNR, kMR, &scratch_floats, &pack, &norms, &assign_block,
                                         &rows_scratch_floats, &group_rows, &pair_scores, &accumulate};
#endif
  return &k;
}

}  // namespace mk
