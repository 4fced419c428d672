// Hamming kernels with AVX-512 VPOPCNTDQ (compiled with -march=x86-64-v4
// -mavx512vpopcntdq; picked in hamming.cc only when the CPU reports
// avx512vpopcntdq on top of x86-64-v4).
//
// 32-byte codes (256 bits): eight codes per step. Four zmm loads hold two
// codes each; after XOR with the query (broadcast twice) and VPOPCNTQ, the
// four registers are packed into 16-bit fields of one register, the four
// words of each code are summed with two in-lane permutes, and one byte
// shuffle puts the eight 16-bit distances in code order.
// Codes of a multiple of 64 bytes (up to 4096): four codes per step, the
// same packing over eight lanes. Other sizes: one POPCNT per 64-bit word.
#include <immintrin.h>

#include <cstdint>

#include "hamming-isa.h"

namespace mk {
namespace {

#define POPCOUNT64(x) static_cast<int64_t>(_mm_popcnt_u64(x))
#include "hamming-scalar.h"
#undef POPCOUNT64

// ------------------------------------------------------------ 32-byte codes

inline __m128i dist8_cs32(const uint8_t* c, __m512i q2) {
  const __m512i a = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c), q2));
  const __m512i b = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + 64), q2));
  const __m512i e = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + 128), q2));
  const __m512i f = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + 192), q2));
  // lane l (0..7) of p: 16-bit fields (a_l, b_l, e_l, f_l); lanes 0-3 are
  // the words of the first code of each register, lanes 4-7 of the second.
  __m512i p = _mm512_or_si512(_mm512_or_si512(a, _mm512_slli_epi64(b, 16)),
                              _mm512_or_si512(_mm512_slli_epi64(e, 32), _mm512_slli_epi64(f, 48)));
  p = _mm512_add_epi64(p, _mm512_permutex_epi64(p, _MM_SHUFFLE(2, 3, 0, 1)));
  p = _mm512_add_epi64(p, _mm512_permutex_epi64(p, _MM_SHUFFLE(1, 0, 3, 2)));
  // lane 0: codes (0, 2, 4, 6); lane 4: codes (1, 3, 5, 7)
  const __m128i v = _mm512_castsi512_si128(_mm512_permutexvar_epi64(_mm512_set_epi64(0, 0, 0, 0, 0, 0, 4, 0), p));
  const __m128i order = _mm_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
  return _mm_shuffle_epi8(v, order);  // eight uint16 distances, codes 0..7
}

inline __m512i query2_cs32(const uint8_t* q) {
  return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)));
}

// ------------------------------------------------------------ 64*W-byte codes

// Distances of four codes (W zmm each, W <= 64) packed in the low 64 bits.
inline uint64_t dist4_cs64(const uint8_t* q, const uint8_t* c, int64_t code_size) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (int64_t o = 0; o < code_size; o += 64) {
    const __m512i qv = _mm512_loadu_si512(q + o);
    a0 = _mm512_add_epi64(a0, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + o), qv)));
    a1 = _mm512_add_epi64(a1, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + code_size + o), qv)));
    a2 = _mm512_add_epi64(a2, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + 2 * code_size + o), qv)));
    a3 = _mm512_add_epi64(a3, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + 3 * code_size + o), qv)));
  }
  __m512i p = _mm512_or_si512(_mm512_or_si512(a0, _mm512_slli_epi64(a1, 16)),
                              _mm512_or_si512(_mm512_slli_epi64(a2, 32), _mm512_slli_epi64(a3, 48)));
  p = _mm512_add_epi64(p, _mm512_permutex_epi64(p, _MM_SHUFFLE(2, 3, 0, 1)));
  p = _mm512_add_epi64(p, _mm512_permutex_epi64(p, _MM_SHUFFLE(1, 0, 3, 2)));
  p = _mm512_add_epi64(p, _mm512_shuffle_i64x2(p, p, _MM_SHUFFLE(1, 0, 3, 2)));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm512_castsi512_si128(p)));
}

inline bool packed64(int64_t code_size) { return code_size % 64 == 0 && code_size <= 4096; }

// ------------------------------------------------------------ entry points

int32_t distance(const uint8_t* a, const uint8_t* b, int64_t code_size) {
  if (code_size % 64 == 0) {
    __m512i acc = _mm512_setzero_si512();
    for (int64_t o = 0; o < code_size; o += 64)
      acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(a + o), _mm512_loadu_si512(b + o))));
    return static_cast<int32_t>(_mm512_reduce_add_epi64(acc));
  }
  return scalar_distance(a, b, code_size);
}

void distances(const uint8_t* q, const uint8_t* codes, int64_t n, int64_t code_size, int32_t* out) {
  int64_t j = 0;
  if (code_size == 32) {
    const __m512i q2 = query2_cs32(q);
    for (; j + 8 <= n; j += 8) {
      const __m128i v = dist8_cs32(codes + j * 32, q2);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), _mm256_cvtepu16_epi32(v));
    }
  } else if (packed64(code_size)) {
    for (; j + 4 <= n; j += 4) {
      const uint64_t s = dist4_cs64(q, codes + j * code_size, code_size);
      for (int t = 0; t < 4; t++) out[j + t] = static_cast<int32_t>((s >> (16 * t)) & 0xffff);
    }
  }
  for (; j < n; j++) out[j] = distance(q, codes + j * code_size, code_size);
}

inline __m128i thr16(const int32_t* thr) {
  int32_t t = *thr;
  if (t < 0) t = 0;
  if (t > 0xffff) t = 0xffff;
  return _mm_set1_epi16(static_cast<short>(static_cast<uint16_t>(t)));
}

void scan(const uint8_t* q, const uint8_t* codes, int64_t n, int64_t code_size, const int32_t* thr, HammingEmit emit) {
  int64_t j = 0;
  if (code_size == 32) {
    const __m512i q2 = query2_cs32(q);
    __m128i t = thr16(thr);
    for (; j + 8 <= n; j += 8) {
      const __m128i v = dist8_cs32(codes + j * 32, q2);
      uint32_t mask = _mm_cmplt_epu16_mask(v, t);
      if (mask) {
        alignas(16) uint16_t tmp[8];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
        while (mask) {
          const int lane = __builtin_ctz(mask);
          mask &= mask - 1;
          if (tmp[lane] < *thr) emit.fn(emit.ctx, j + lane, tmp[lane]);
        }
        t = thr16(thr);
      }
    }
  } else if (packed64(code_size)) {
    for (; j + 4 <= n; j += 4) {
      const uint64_t s = dist4_cs64(q, codes + j * code_size, code_size);
      for (int l = 0; l < 4; l++) {
        const int32_t dis = static_cast<int32_t>((s >> (16 * l)) & 0xffff);
        if (dis < *thr) emit.fn(emit.ctx, j + l, dis);
      }
    }
  }
  for (; j < n; j++) {
    const int32_t dis = distance(q, codes + j * code_size, code_size);
    if (dis < *thr) emit.fn(emit.ctx, j, dis);
  }
}

}  // namespace

const HammingIsa* hamming_isa_avx512() {
  static const HammingIsa k = {"avx512-vpopcntdq", &distance, &distances, &scan};
  return &k;
}

}  // namespace mk
