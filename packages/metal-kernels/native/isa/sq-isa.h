// The scalar-quantizer hot loops: the interface between the drivers (sq.cc,
// baseline ISA) and the per-ISA files sq-{generic,avx2,avx512}.cc. Same ODR
// rule as isa.h: the ISA files define nothing with external linkage except
// their one accessor, use no C++ library templates, and only plain structs and
// function pointers cross this boundary.
//
// Decoding model used by the scan (FAISS's reconstruction, rearranged): a
// component with integer level c decodes to A_j + B_j * c. The drivers fold
// A and B into the prepared query vectors, so the scan only ever turns code
// bytes into float levels inside registers:
//   L2: ||q - x||^2 = sum_j (q'_j - B_j c_j)^2      with q' = q - A
//   IP: <q, x>      = sum_j q''_j c_j + sum_j q_j A_j  with q'' = q * B
// and, for batches, the L2 "dot" form (one FMA per component and pair
// instead of two operations; the code norms are computed once per call):
//   ||q - x||^2 = ||q'||^2 + sum_j (B_j c_j)^2 + sum_j q'''_j c_j  with q''' = -2 q' B
// fp16 codes decode to their half value (A = 0, B = 1). The "byte" kind is
// FAISS's integer path for QT_8bit_direct when d % 16 == 0: the query is
// truncated to bytes and the distance is computed exactly in int32.
#pragma once
#include <cstdint>

#include "isa.h"

namespace mk {
namespace sq {

enum : int { kKind8 = 0, kKind4 = 1, kKind6 = 2, kKindFp16 = 3, kKindByte = 4 };

// Code bytes holding components [i, i + 16) (i a multiple of 16), per kind.
static inline int64_t chunk_offset(int kind, int64_t i) {
  switch (kind) {
    case kKind4: return i / 2;
    case kKind6: return i / 16 * 12;
    case kKindFp16: return 2 * i;
    default: return i;
  }
}

struct ScanArgs {
  int kind;
  int metric;             // kMetricL2 | kMetricInnerProduct
  // L2 only: use the dot form. qv holds -2 (q - A) B, qc holds ||q - A||^2,
  // and cnorm is scratch for ncodes floats (the kernel fills it first with
  // sum_j (B_j c_j)^2, plus 2 sum_j shift_j B_j c_j when `shift` is given:
  // scores are then distances to q - shift, the IVF residual, with qc
  // holding ||q - A - shift||^2).
  bool l2dot;
  float* cnorm;
  const float* shift;     // dpad floats or null
  const float* const* qvp;  // optional: per-query pointers to the prepared vectors (overrides qv)
  int64_t d;              // components per vector
  int64_t dpad;           // stride of the prepared query vectors (multiple of 16, >= d)
  int64_t code_size;      // bytes per code
  const float* bvec;      // L2: B, dpad floats (zero past d); unused for IP and the byte kind
  const float* qv;        // nq prepared vectors, stride dpad, zero past d (L2: q - A, IP: q * B, L2 dot: see above)
  const uint8_t* qb;      // byte kind: nq query byte vectors, stride dpad
  const float* qc;        // nq constants added to the distance (L2) or inner product (IP); may be null
  int64_t nq;
  const uint8_t* codes;   // ncodes codes, code_size bytes each
  int64_t ncodes;
  int64_t j0;             // index of the first code, passed to emit
  const uint8_t* mask;    // optional: code j (block-local) is skipped when mask[j] == 0
  float* thr;             // nq thresholds on the score (L2: distance, IP: -inner product)
  Emitter emit;           // emit(q, j0 + j, score) when score < thr[q]
};

struct SqIsa {
  const char* name;
  void (*scan)(const ScanArgs* a);
  // FAISS's encode_vector up to the codec: the integer level of each of the
  // d components (bits = 4, 6 or 8), before packing. uniform: vmin/vdiff
  // point to one value each.
  void (*levels)(const float* x, int64_t d, const float* vmin, const float* vdiff, int uniform, int bits,
                 uint8_t* out);
  // sum_j (a_j - b_j)^2 over n floats
  float (*l2sq)(const float* a, const float* b, int64_t n);
};

const SqIsa* sq_isa_generic();
#if defined(__x86_64__) || defined(_M_X64)
const SqIsa* sq_isa_avx2();
const SqIsa* sq_isa_avx512();
#endif

}  // namespace sq
}  // namespace mk
