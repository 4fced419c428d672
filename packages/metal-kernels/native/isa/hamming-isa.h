// Per-ISA Hamming-distance kernels over packed binary codes (code_size bytes
// per vector; bit j of a vector is bit j % 8 of byte j / 8, as in FAISS).
// Same ODR rule as isa.h: the hamming-*.cc units define nothing with external
// linkage except their accessor, and use no STL.
#pragma once
#include <cstdint>

namespace mk {

// Receives a code whose distance passed the threshold test (dis < *thr).
struct HammingEmit {
  void (*fn)(void* ctx, int64_t j, int32_t dis);
  void* ctx;
};

struct HammingIsa {
  const char* name;  // "avx512-vpopcntdq" | "avx2" | "scalar"
  // Hamming distance of two codes.
  int32_t (*distance)(const uint8_t* a, const uint8_t* b, int64_t code_size);
  // out[j] = distance(q, codes + j * code_size) for j in [0, n).
  void (*distances)(const uint8_t* q, const uint8_t* codes, int64_t n, int64_t code_size, int32_t* out);
  // Calls emit(j, dis) for each j in increasing order with dis < *thr;
  // *thr is re-read after each emit (the receiver may lower it).
  void (*scan)(const uint8_t* q, const uint8_t* codes, int64_t n, int64_t code_size, const int32_t* thr,
               HammingEmit emit);
};

const HammingIsa* hamming_isa_generic();
#if defined(__x86_64__) || defined(_M_X64)
const HammingIsa* hamming_isa_avx2();
const HammingIsa* hamming_isa_avx512();
#endif

}  // namespace mk
