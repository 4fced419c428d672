// Product-quantizer hot loops: the interface between the drivers (pq.cc,
// baseline ISA) and the per-ISA files pq-{generic,avx2,avx512}.cc. Same ODR
// rule as isa.h (no C++ library templates, internal linkage, one accessor).
#pragma once
#include <cstdint>

#include "isa.h"

namespace mk {
namespace pq {

// Asymmetric distance computation of one query (one table) over a block of
// codes: score_j = dis0 + sum_m table[m * ksub + idx_m(j)] for L2, and its
// negation for inner product. Codes are bytes (index_bits 8, one byte per
// sub-quantizer) or little-endian uint16 (index_bits 16: nbits 16 codes, or
// other widths unpacked by the driver).
struct ScanArgs {
  const uint8_t* codes;
  int64_t ncodes;
  int64_t stride;      // bytes from one code to the next
  int index_bits;      // 8 or 16
  int64_t M;
  int64_t ksub;
  const float* table;  // M * ksub
  float dis0;
  const float* addend; // optional, block-local: added per code (score = dis0 + addend[j] + sum)
  bool group4;         // FAISS IndexPQ's summation order when M % 4 == 0: groups of 4, then added
  bool fast;           // four independent partial sums instead of FAISS's order (IVF scans)
  bool l2;
  const uint8_t* mask; // optional, block-local: entry j skipped when mask[j] == 0
  int64_t q;           // passed to emit
  int64_t j0;          // index of the first code, passed to emit
  float* thr;          // this query's threshold on the score
  Emitter emit;        // emit(q, j0 + j, score) when score < *thr
};

struct PqIsa {
  const char* name;
  // The tables of nx vectors (row stride d) from centroids laid out
  // [m][dsub][ksub], sub-quantizer by sub-quantizer so that each one's
  // centroids are read once for the block:
  // out[(i * M + m) * ksub + j] = scale * (||x_im - c_mj||^2 (l2) or <x_im, c_mj>).
  void (*tables)(const float* x, int64_t nx, int64_t d, const float* centroids_t, int64_t M, int64_t ksub,
                 int64_t dsub, bool l2, float scale, float* out);
  // out[i] = a[i] + s * b[i] (FAISS's fvec_madd)
  void (*madd)(int64_t n, const float* a, float s, const float* b, float* out);
  void (*scan)(const ScanArgs* a);
  // out[j] = sum_m table[m * ksub + idx_m(j)] for n codes (index_bits 8 or 16; partial sums as `fast`)
  void (*sums)(const uint8_t* codes, int64_t n, int64_t stride, int bits, int64_t M, int64_t ksub, const float* table,
               float* out);
  // Nearest of k centroids for each of n points (squared L2, ties to the
  // lower index): labels[i], dist[i]. Dot form: ct holds -2 * centroids laid
  // out [d][k], cn their squared norms; dist = max(0, ||x||^2 + min_j(cn_j - 2 x.c_j)).
  void (*assign)(const float* x, int64_t n, int64_t d, const float* ct, const float* cn, int64_t k, int64_t* labels,
                 float* dist);
};

const PqIsa* pq_isa_generic();
#if defined(__x86_64__) || defined(_M_X64)
const PqIsa* pq_isa_avx2();
const PqIsa* pq_isa_avx512();
#endif

}  // namespace pq
}  // namespace mk
