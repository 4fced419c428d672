// Word-at-a-time Hamming distance, included inside each hamming-*.cc's
// anonymous namespace (internal linkage). POPCOUNT64(x) is defined by the
// includer: the POPCNT instruction where the unit's -march has it, a SWAR
// count otherwise. Not a normal header: no include guard on purpose.

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8);
  return v;
}

inline int32_t scalar_distance(const uint8_t* a, const uint8_t* b, int64_t code_size) {
  int64_t s0 = 0, s1 = 0;
  int64_t i = 0;
  for (; i + 16 <= code_size; i += 16) {
    s0 += POPCOUNT64(load64(a + i) ^ load64(b + i));
    s1 += POPCOUNT64(load64(a + i + 8) ^ load64(b + i + 8));
  }
  for (; i + 8 <= code_size; i += 8) s0 += POPCOUNT64(load64(a + i) ^ load64(b + i));
  if (i < code_size) {
    uint64_t x = 0, y = 0;
    __builtin_memcpy(&x, a + i, static_cast<__SIZE_TYPE__>(code_size - i));
    __builtin_memcpy(&y, b + i, static_cast<__SIZE_TYPE__>(code_size - i));
    s1 += POPCOUNT64(x ^ y);
  }
  return static_cast<int32_t>(s0 + s1);
}

inline void scalar_distances(const uint8_t* q, const uint8_t* codes, int64_t n, int64_t code_size, int32_t* out) {
  for (int64_t j = 0; j < n; j++) out[j] = scalar_distance(q, codes + j * code_size, code_size);
}

inline void scalar_scan(const uint8_t* q, const uint8_t* codes, int64_t n, int64_t code_size, const int32_t* thr,
                        HammingEmit emit) {
  for (int64_t j = 0; j < n; j++) {
    const int32_t dis = scalar_distance(q, codes + j * code_size, code_size);
    if (dis < *thr) emit.fn(emit.ctx, j, dis);
  }
}
