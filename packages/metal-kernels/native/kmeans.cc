#include "kmeans.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "thread-pool.h"

namespace mk {

void kmeans_update(const KmeansUpdateParams& p) {
  const int64_t n = p.n, d = p.d, k = p.k;
  for (int64_t i = 0; i < n; i++) {
    if (p.assign[i] < 0 || p.assign[i] >= k)
      throw std::out_of_range("assignment " + std::to_string(p.assign[i]) + " of vector " + std::to_string(i) +
                              " is outside [0, " + std::to_string(k) + ")");
  }
  // Centroid ranges: a few per thread, so that uneven clusters still balance;
  // every task reads the whole assignment but only its own vectors.
  const int64_t threads = get_num_threads();
  const int64_t ntasks = std::max<int64_t>(1, std::min<int64_t>(k, threads * 4));
  parallel_for(ntasks, 256, [&](int64_t t, int) {
    const int64_t c0 = k * t / ntasks;
    const int64_t c1 = k * (t + 1) / ntasks;
    if (c1 <= c0) return;
    std::vector<double> sums(static_cast<size_t>((c1 - c0) * d), 0.0);
    std::vector<double> wsum(static_cast<size_t>(c1 - c0), 0.0);
    for (int64_t i = 0; i < n; i++) {
      const int64_t c = p.assign[i];
      if (c < c0 || c >= c1) continue;
      double* s = sums.data() + (c - c0) * d;
      const float* xi = p.x + i * d;
      if (p.weights) {
        const double w = p.weights[i];
        wsum[c - c0] += w;
        for (int64_t j = 0; j < d; j++) s[j] += static_cast<double>(xi[j]) * w;
      } else {
        wsum[c - c0] += 1.0;
        for (int64_t j = 0; j < d; j++) s[j] += static_cast<double>(xi[j]);
      }
    }
    for (int64_t c = c0; c < c1; c++) {
      const double w = wsum[c - c0];
      p.counts[c] = static_cast<float>(w);
      float* out = p.centroids + c * d;
      if (w == 0.0) {
        std::memset(out, 0, sizeof(float) * d);
        continue;
      }
      const double* s = sums.data() + (c - c0) * d;
      for (int64_t j = 0; j < d; j++) out[j] = static_cast<float>(s[j] / w);
    }
  });
}

}  // namespace mk
