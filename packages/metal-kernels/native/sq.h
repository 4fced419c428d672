// Scalar quantizer (FAISS's ScalarQuantizer, 1.7.3 semantics): encode,
// decode, and fused decode-and-score scans with top-k or a radius, over flat
// code arrays and over inverted lists. Drivers only; the hot loops are in
// isa/sq-*.cc. Arguments are validated by the bindings (sq-bindings.cc).
#pragma once
#include <cstdint>

#include "kernels.h"

namespace mk {
namespace sq {

// FAISS's QuantizerType values (the numbers FAISS writes to files).
enum : int { QT_8bit = 0, QT_4bit = 1, QT_8bit_uniform = 2, QT_4bit_uniform = 3, QT_fp16 = 4, QT_8bit_direct = 5, QT_6bit = 6 };

int64_t code_size(int qtype, int64_t d);
// Floats of trained parameters: 2d ([vmin, vdiff]) non-uniform, 2 uniform, 0 otherwise.
int64_t trained_size(int qtype, int64_t d);

struct Codec {
  int qtype;
  int64_t d;
  const float* trained;
};

// codes: n * code_size bytes, fully overwritten (FAISS zero-fills first).
void encode(const Codec& c, const float* x, int64_t n, uint8_t* codes);
// FAISS's decode formulas, bit for bit: vmin + ((level + 0.5f) / S) * vdiff.
void decode(const Codec& c, const uint8_t* codes, int64_t n, float* out);

struct SearchParams {
  Codec codec;
  int metric;
  const uint8_t* codes;
  int64_t nb;
  const float* xq;
  int64_t nq;
  int64_t k;
  const uint8_t* mask;  // nb entries (0 = skip) or null
  float* distances;     // nq * k
  int64_t* labels;      // nq * k
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

// Inverted lists: list l holds sizes[l] codes at codes[l] and their ids at ids[l].
// masks (optional, per list, one byte per entry): entries with 0 are skipped.
struct IvfLists {
  const uint8_t* const* codes;
  const int64_t* const* ids;
  const int64_t* sizes;
  const uint8_t* const* masks;
  int64_t nlist;
};

// IVF search over preassigned lists (FAISS's search_preassigned with this
// codec's scanner): for query q, probes p < nprobe with assign[q*nprobe+p] >= 0
// are scanned. by_residual: L2 scores || (q - centroid) - x ||^2, IP scores
// coarse_dis + <q, x>, where x decodes the residual codes.
struct IvfSearchParams {
  Codec codec;
  int metric;
  bool by_residual;
  IvfLists lists;
  const float* centroids;   // nlist * d (by_residual with L2), else may be null
  const float* xq;
  int64_t nq;
  int64_t nprobe;
  const int64_t* assign;    // nq * nprobe list numbers (-1 = none)
  const float* coarse_dis;  // nq * nprobe
  int64_t k;                // top-k mode when radius is not used
  float* distances;         // nq * k
  int64_t* labels;          // nq * k
  bool range;               // range mode: keep score within radius instead
  float radius;
};
void ivf_search(const IvfSearchParams& p);
RangeResult ivf_range_search(const IvfSearchParams& p);

}  // namespace sq
}  // namespace mk
