// Product quantizer (FAISS's ProductQuantizer, codes packed as FAISS packs
// them): encoding, decoding, distance / inner-product tables, and asymmetric
// (ADC) scans with top-k or a radius over flat codes (IndexPQ) and inverted
// lists (IndexIVFPQ, with FAISS's precomputed-table modes). Drivers only; the
// hot loops are in isa/pq-*.cc. Arguments are validated by pq-bindings.cc.
#pragma once
#include <cstdint>

#include "kernels.h"
#include "sq.h"

namespace mk {
namespace pq {

inline int64_t code_size(int64_t M, int64_t nbits) { return (M * nbits + 7) / 8; }

struct Codec {
  int64_t d, M, nbits;
  const float* centroids;    // M * ksub * dsub, laid out [m][ksub][dsub] (FAISS)
  const float* centroids_t;  // the same values laid out [m][dsub][ksub], or null (then transposed per call)
};

// codes: n * code_size bytes, fully overwritten; nearest centroid per
// sub-vector (ties to the lower index).
void compute_codes(const Codec& c, const float* x, int64_t n, uint8_t* codes);
void decode(const Codec& c, const uint8_t* codes, int64_t n, float* out);
// out: n * M * ksub; L2 distances or inner products of each sub-vector to each centroid.
void tables(const Codec& c, const float* x, int64_t n, bool l2, float* out);
// FAISS's use_precomputed_table = 1 table of IndexIVFPQ: for each coarse
// centroid y_C (nlist * d), ||y_R||^2 + 2 <y_C, y_R> per sub-quantizer entry.
void precompute_table(const Codec& c, const float* coarse, int64_t nlist, float* out);

// Nearest of k centroids (k * d, row-major) for n points: squared L2 through
// ||x||^2 + ||c||^2 - 2 x.c (clamped at 0), ties to the lower index (k-means
// assignment for small d, e.g. PQ training).
void assign(const float* x, int64_t n, int64_t d, const float* centroids, int64_t k, int64_t* labels, float* dist);

struct SearchParams {
  Codec codec;
  int metric;
  const uint8_t* codes;
  int64_t nb;
  const float* xq;
  int64_t nq;
  int64_t k;
  const uint8_t* mask;
  float* distances;
  int64_t* labels;
  int64_t label_offset;
};
void search(const SearchParams& p);

struct RangeParams {
  Codec codec;
  int metric;
  const uint8_t* codes;
  int64_t nb;
  const float* xq;
  int64_t nq;
  float radius;
  const uint8_t* mask;
  int64_t label_offset;
};
RangeResult range_search(const RangeParams& p);

struct IvfSearchParams {
  Codec codec;
  int metric;
  bool by_residual;
  const float* precomputed;  // L2 + by_residual: nlist * M * ksub (mode 1), or null (mode 0: residual tables)
  const float* coarse;       // nlist * d coarse centroids (L2 by_residual mode 0, IP by_residual)
  sq::IvfLists lists;
  const float* xq;
  int64_t nq;
  int64_t nprobe;
  const int64_t* assign;
  const float* coarse_dis;
  int64_t k;
  float* distances;
  int64_t* labels;
  bool range;
  float radius;
};
void ivf_search(const IvfSearchParams& p);
RangeResult ivf_range_search(const IvfSearchParams& p);

}  // namespace pq
}  // namespace mk
