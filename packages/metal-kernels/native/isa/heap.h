// A bounded max-heap of (score, id) holding the k best entries; the root is
// the worst kept entry, so thr = root score is the acceptance threshold.
// Entries compare lexicographically (score, then id). Empty slots hold the
// sentinel (+inf, -1), which every finite candidate beats.
//
// Everything here is `static inline` (internal linkage), so each translation
// unit, whatever its -march flags, gets its own copy: no ODR sharing.
#pragma once
#include <cstdint>

namespace mk {
namespace heap {

static inline bool worse(float sa, int64_t ia, float sb, int64_t ib) {
  return sa > sb || (sa == sb && ia > ib);
}

static inline void init(float* s, int64_t* id, int64_t k) {
  for (int64_t i = 0; i < k; i++) {
    s[i] = __builtin_inff();
    id[i] = -1;
  }
}

// Replaces the root by (score, j) and restores heap order. The caller has
// checked that (score, j) is better than the root.
static inline void replace_top(float* s, int64_t* id, int64_t k, float score, int64_t j) {
  int64_t p = 0;
  for (;;) {
    int64_t l = 2 * p + 1;
    if (l >= k) break;
    int64_t r = l + 1;
    int64_t c = (r < k && worse(s[r], id[r], s[l], id[l])) ? r : l;
    if (!worse(s[c], id[c], score, j)) break;
    s[p] = s[c];
    id[p] = id[c];
    p = c;
  }
  s[p] = score;
  id[p] = j;
}

// Offers a candidate with the full lexicographic rule (used when merging).
static inline void push(float* s, int64_t* id, int64_t k, float score, int64_t j) {
  if (score < s[0] || (score == s[0] && j < id[0] && id[0] >= 0)) replace_top(s, id, k, score, j);
}

// Sorts the heap best first in place (heap sort: repeatedly move the root to the end).
static inline void sort(float* s, int64_t* id, int64_t k) {
  for (int64_t n = k; n > 1; n--) {
    float ts = s[0];
    int64_t ti = id[0];
    // move last to root and sift down within [0, n-1)
    float ls = s[n - 1];
    int64_t li = id[n - 1];
    int64_t m = n - 1;
    int64_t p = 0;
    for (;;) {
      int64_t l = 2 * p + 1;
      if (l >= m) break;
      int64_t r = l + 1;
      int64_t c = (r < m && worse(s[r], id[r], s[l], id[l])) ? r : l;
      if (!worse(s[c], id[c], ls, li)) break;
      s[p] = s[c];
      id[p] = id[c];
      p = c;
    }
    s[p] = ls;
    id[p] = li;
    s[n - 1] = ts;
    id[n - 1] = ti;
  }
}

}  // namespace heap
}  // namespace mk
