// The per-ISA hot loops of the IVF scans (ivf-*.cc), behind plain structs and
// function pointers. Same ODR rule as isa.h: the ivf-*.cc files define
// nothing with external linkage except their `ivf_isa_*()` accessor and use
// no inline/template code from the C++ library.
#pragma once
#include <cstdint>

namespace mk {

// Receives candidates that passed the threshold test (score < thr[q]);
// scores: squared L2 as is, inner product negated (smaller is better).
struct IvfEmitter {
  void (*fn)(void* ctx, int64_t q, int64_t j, float score);
  void* ctx;
};

// A block of list rows against a chunk of queries, both read in place:
// register tiles of rows x queries accumulate SIMD over d ("inner product"
// form, no packing). L2 = |q|^2 + |x|^2 - 2 q.x, clamped at 0 (as knn).
struct IvfDotArgs {
  const float* const* q;  // nq query rows (d floats each)
  const float* qnorms;    // L2: nq squared query norms
  int64_t nq;
  const float* xb;        // list rows, row-major, stride d
  int64_t nrows;
  int64_t j0;             // offset of the first row in its list (passed to emit)
  int64_t d;
  int metric;             // 1 = L2, 0 = inner product
  float* thr;             // nq thresholds; emit may lower thr[q]
  IvfEmitter emit;
};

struct IvfIsaKernels {
  const char* name;  // matches IsaKernels::name of the same level
  int rows;          // rows per register tile
  int queries;       // queries per register tile
  void (*norms)(const float* x, int64_t n, int64_t d, float* out);
  void (*scan_dot)(const IvfDotArgs* a);
};

const IvfIsaKernels* ivf_isa_generic();
#if defined(__x86_64__) || defined(_M_X64)
const IvfIsaKernels* ivf_isa_avx2();
const IvfIsaKernels* ivf_isa_avx512();
#endif

}  // namespace mk
