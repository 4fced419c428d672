// The interface between the portable drivers (kernels.cc, compiled for the
// baseline ISA) and the per-ISA hot loops (isa-*.cc, compiled with their own
// -march flags and picked at run time).
//
// ODR rule for the isa-*.cc files: they define nothing with external linkage
// except their one `isa_*()` accessor. Everything else lives in an anonymous
// namespace, and they use no inline/template code from the C++ library (no
// <vector>, <algorithm>, <cmath>): such code could be instantiated with
// AVX-512 instructions there and then picked by the linker for a baseline
// caller. Only plain structs and function pointers cross this boundary.
#pragma once
#include <cstdint>

namespace mk {

enum : int { kMetricInnerProduct = 0, kMetricL2 = 1 };

// Scores: smaller is better. Squared L2 distance as is; inner product negated.

// Receives candidates that passed a threshold test (score < thr[q]).
// `q` is the query row (block-local), `j` the database row (block-local).
struct Emitter {
  void (*fn)(void* ctx, int64_t q, int64_t j, float score);
  void* ctx;
};

// A block of database rows against all packed query panels (the GEMM path).
struct GemmArgs {
  const float* qpanels;  // ceil(nq / nr) panels, each [d][nr], zero padded
  int64_t nq;            // valid queries
  const float* qnorms;   // L2: squared norms of the queries, padded to panels * nr (zeros)
  const float* xb;       // database rows (row-major, stride d)
  int64_t nrows;         // rows in this block
  int64_t j0;            // block-local index of the first row (passed to emit)
  const float* bnorms;   // L2: squared norms of these rows, or null to compute them
  int64_t d;
  int metric;
  float* scratch;        // >= (d + 16) * mr floats, 64-byte aligned, private to the caller
  int64_t prefetch;      // floats ahead to prefetch in the database rows (0: off)
  // threshold mode (out == null): thr has panels * nr entries, padded queries hold -inf
  float* thr;
  Emitter emit;
  // store mode: out[q * ldo + j0 + r] = distance (L2) or inner product (IP), for q < nq
  float* out;
  int64_t ldo;
};

// Few queries against a block of database rows, unpacked (the streaming path).
struct StreamArgs {
  const float* xq;  // nq rows
  int64_t nq;
  const float* qnorms;  // L2 with nq > 1: squared norms of the queries (dot-product form)
  const float* xb;  // nrows rows
  int64_t nrows;
  int64_t j0;
  int64_t d;
  int metric;
  float* thr;  // threshold mode: nq entries
  Emitter emit;
  float* out;  // store mode (as GemmArgs)
  int64_t ldo;
};

struct IsaKernels {
  const char* name;  // "avx512" | "avx2" | "neon" | "scalar"
  int mr;            // database rows per GEMM micro-tile
  int nr;            // queries per packed panel
  void (*pack_queries)(const float* xq, int64_t nq, int64_t d, float* dst);
  void (*gemm_rows)(const GemmArgs* a);
  void (*stream_rows)(const StreamArgs* a);
  void (*norms)(const float* x, int64_t n, int64_t d, float* out);
  // emits (0, j, sign * v[j]) for every j with sign * v[j] < *thr (thr re-read after each emit)
  void (*scan_row)(const float* v, int64_t m, float sign, const float* thr, Emitter emit);
};

const IsaKernels* isa_generic();
#if defined(__x86_64__) || defined(_M_X64)
const IsaKernels* isa_avx2();
const IsaKernels* isa_avx512();
#endif

}  // namespace mk
