// The per-ISA hot loop of the k-means assignment (kmeans-*.cc): a block of
// points (read in place) against every packed centroid panel, nearest
// centroid fused into the GEMM epilogue. Same ODR rule as isa.h.
#pragma once
#include <cstdint>

namespace mk {

struct KmeansBlockArgs {
  const float* x;        // the block's points, row-major, stride d
  int64_t n;             // points in the block
  int64_t d;
  const float* panels;   // npanels panels of [d][nr] centroids, zero padded
  const float* cterm;    // npanels * nr: L2 |c|^2, inner product 0; +inf for padding
  int64_t npanels;
  float m;               // score = cterm + m * <x, c>: -2 (L2) or -1 (inner product)
  float* scratch;        // >= KmeansIsaKernels::scratch_floats(d, n) floats, private to the caller
  float* best;           // n: the smallest score
  int64_t* arg;          // n: its packed centroid index (ties: the lower index)
};

// Gathered rows (one pointer per point, read in place) against the panels of
// one centroid group (kmeans-bounded.cc): per row, the smallest score, its
// packed index within the group (ties: the lower index; -1 when no score is
// below +inf) and the second smallest score. Scores are computed exactly as
// assign_block computes them (same FMA chain per pair), bit for bit.
struct KmeansRowsArgs {
  const float* const* rows;  // n row pointers
  int64_t n;
  int64_t d;
  const float* zero;         // d zeros (stands in for missing rows of a tile)
  const float* panels;       // npanels panels of [d][nr] (the group's)
  const float* cterm;        // npanels * nr (+inf for padding)
  int64_t npanels;
  float m;                   // -2 (L2) or -1 (inner product)
  float* scratch;            // >= rows_scratch_floats(npanels) floats
  float* best;               // n
  int32_t* arg;              // n
  float* second;             // n
};

struct KmeansIsaKernels {
  const char* name;  // matches IsaKernels::name of the same level
  int nr;            // centroids per panel
  int mr;            // points per register tile
  int64_t (*scratch_floats)(int64_t d, int64_t n);
  void (*pack)(const float* c, int64_t k, int64_t d, float* panels);
  void (*norms)(const float* x, int64_t n, int64_t d, float* out);
  void (*assign_block)(const KmeansBlockArgs* a);
  int64_t (*rows_scratch_floats)(int64_t npanels);
  void (*group_rows)(const KmeansRowsArgs* a);
  // out[i] = cterm[i] + m * <x_i, c_i> for n pairs given by row pointers,
  // with the FMA chain of assign_block (bit for bit the score it computes)
  void (*pair_scores)(const float* const* xr, const float* const* cr, const float* cterm, int64_t n, int64_t d, float m,
                      float* out);
  // For every point i (increasing) with c = assign[i] in [c0, c1): sums[(c - c0) * d + j] += (double)x[i * d + j]
  // and counts[c - c0] += 1 (element-wise: the same sums at every SIMD width)
  void (*accumulate)(const float* x, const int64_t* assign, int64_t n, int64_t d, int64_t c0, int64_t c1, double* sums,
                     double* counts);
};

const KmeansIsaKernels* kmeans_isa_generic();
// The kernels of the ISA chosen at load time (kmeans.cc; baseline translation units only)
const KmeansIsaKernels* kmeans_isa();
#if defined(__x86_64__) || defined(_M_X64)
const KmeansIsaKernels* kmeans_isa_avx2();
const KmeansIsaKernels* kmeans_isa_avx512();
#endif

}  // namespace mk
