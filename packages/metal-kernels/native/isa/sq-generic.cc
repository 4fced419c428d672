// Portable scalar-quantizer kernels: GCC/Clang vector extensions (SSE2 on
// baseline x86-64, NEON on aarch64); code bytes are expanded with scalar code.
#include <cstdint>

#include "sq-isa.h"

namespace mk {
namespace sq {
namespace {

typedef float vf8 __attribute__((vector_size(32), aligned(4)));

// IEEE half to float, exact (subnormals, infinities and NaN included).
inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1fu) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {  // subnormal half: normalise
    exp = 113u;
    while (!(man & 0x400u)) {
      man <<= 1;
      exp--;
    }
    bits = sign | (exp << 23) | ((man & 0x3ffu) << 13);
  }
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

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
  static inline R add(R a, R b) { return a + b; }
  static inline R sub(R a, R b) { return a - b; }
  static inline R mul(R a, R b) { return a * b; }
  static inline R fmadd(R a, R b, R c) { return a * b + c; }
  static inline float hsum(R x) {
    float s = 0.0f;
    for (int i = 0; i < W; i++) s += x[i];
    return s;
  }
  static inline void from(const float (&t)[16], R (&out)[2]) {
    out[0] = load(t);
    out[1] = load(t + 8);
  }
  static inline void decode8(const uint8_t* p, R (&out)[2]) {
    float t[16];
    for (int i = 0; i < 16; i++) t[i] = p[i];
    from(t, out);
  }
  static inline void decode4(const uint8_t* p, R (&out)[2]) {
    float t[16];
    for (int i = 0; i < 8; i++) {
      t[2 * i] = p[i] & 15;
      t[2 * i + 1] = p[i] >> 4;
    }
    from(t, out);
  }
  static inline void decode6(const uint8_t* p, R (&out)[2]) {
    float t[16];
    for (int g = 0; g < 4; g++) {
      const uint32_t v = p[3 * g] | (p[3 * g + 1] << 8) | (p[3 * g + 2] << 16);
      t[4 * g] = v & 63;
      t[4 * g + 1] = (v >> 6) & 63;
      t[4 * g + 2] = (v >> 12) & 63;
      t[4 * g + 3] = (v >> 18) & 63;
    }
    from(t, out);
  }
  static inline void decodefp16(const uint8_t* p, R (&out)[2]) {
    float t[16];
    for (int i = 0; i < 16; i++) t[i] = half_to_float(static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
    from(t, out);
  }
};

constexpr int kR = 2;
constexpr int kQ = 2;
constexpr int kR1 = 4;

#include "sq-body.inc"

}  // namespace

const SqIsa* sq_isa_generic() {
#if defined(__aarch64__) || defined(__ARM_NEON)
  static const SqIsa k = {"neon", &scan, &levels, &l2sq};
#else
  static const SqIsa k = {"scalar", &scan, &levels, &l2sq};
#endif
  return &k;
}

}  // namespace sq
}  // namespace mk
