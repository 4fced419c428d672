// Householder tridiagonalisation + implicit QL (the EISPACK tred2/tql2
// scheme), written for row-contiguous inner loops: the working matrix W is
// the transpose of the textbook V, so the rank-2 updates, the accumulation
// of the reflectors and the Givens rotations all stream along rows and
// vectorise. The hot functions are compiled per ISA level (target_clones).
#include "dense.h"

#include "../thread-pool.h"

namespace mk {
#if defined(__x86_64__)
void dense_pq_nearest_avx512(const float* x, int64_t i0, int64_t i1, int64_t M, int64_t ksub, int64_t dsub, const float* ct,
                             const float* cn, int32_t* assign, float* dist);  // nearest-avx512.cc
#endif
}  // namespace mk

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__) && !defined(__clang__)
#define MK_DENSE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MK_DENSE_CLONES
#endif

namespace mk {
namespace {

MK_DENSE_CLONES
void tridiagonalize(double* __restrict w, int64_t n, double* __restrict d, double* __restrict e) {
  for (int64_t j = 0; j < n; j++) d[j] = w[j * n + (n - 1)];
  for (int64_t i = n - 1; i > 0; i--) {
    double scale = 0, h = 0;
    for (int64_t k = 0; k < i; k++) scale += std::fabs(d[k]);
    if (scale == 0) {
      e[i] = d[i - 1];
      for (int64_t j = 0; j < i; j++) {
        d[j] = w[j * n + (i - 1)];
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (int64_t k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (int64_t j = 0; j < i; j++) e[j] = 0;
      for (int64_t j = 0; j < i; j++) {
        f = d[j];
        double* __restrict row = w + j * n;
        w[i * n + j] = f;
        double acc = e[j] + row[j] * f;
#pragma omp simd reduction(+ : acc)
        for (int64_t k = j + 1; k < i; k++) {
          acc += row[k] * d[k];
          e[k] += row[k] * f;
        }
        e[j] = acc;
      }
      f = 0;
      for (int64_t j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (int64_t j = 0; j < i; j++) e[j] -= hh * d[j];
      for (int64_t j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        double* __restrict row = w + j * n;
#pragma omp simd
        for (int64_t k = j; k < i; k++) row[k] -= f * e[k] + g * d[k];
        d[j] = row[i - 1];
        row[i] = 0;
      }
    }
    d[i] = h;
  }
  for (int64_t i = 0; i < n - 1; i++) {
    w[i * n + (n - 1)] = w[i * n + i];
    w[i * n + i] = 1;
    const double h = d[i + 1];
    double* __restrict next = w + (i + 1) * n;
    if (h != 0) {
      for (int64_t k = 0; k <= i; k++) d[k] = next[k] / h;
      for (int64_t j = 0; j <= i; j++) {
        double* __restrict row = w + j * n;
        double g = 0;
#pragma omp simd reduction(+ : g)
        for (int64_t k = 0; k <= i; k++) g += next[k] * row[k];
#pragma omp simd
        for (int64_t k = 0; k <= i; k++) row[k] -= g * d[k];
      }
    }
    for (int64_t k = 0; k <= i; k++) next[k] = 0;
  }
  for (int64_t j = 0; j < n; j++) {
    d[j] = w[j * n + (n - 1)];
    w[j * n + (n - 1)] = 0;
  }
  w[(n - 1) * n + (n - 1)] = 1;
  e[0] = 0;
}

MK_DENSE_CLONES
void rotate_rows(double* __restrict ri, double* __restrict ri1, int64_t n, double c, double s) {
#pragma omp simd
  for (int64_t k = 0; k < n; k++) {
    const double hk = ri1[k];
    const double vk = ri[k];
    ri1[k] = s * vk + c * hk;
    ri[k] = c * vk - s * hk;
  }
}

void ql_implicit(double* w, int64_t n, double* d, double* e) {
  for (int64_t i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  double f = 0, tst1 = 0;
  const double eps = std::ldexp(1.0, -52);
  for (int64_t l = 0; l < n; l++) {
    tst1 = std::fmax(tst1, std::fabs(d[l]) + std::fabs(e[l]));
    int64_t m = l;
    while (m < n - 1 && std::fabs(e[m]) > eps * tst1) m++;
    if (m > l) {
      int iter = 0;
      do {
        if (++iter > 60) throw std::runtime_error("QL iteration did not converge for eigenvalue " + std::to_string(l));
        double g = d[l];
        double p = (d[l + 1] - g) / (2 * e[l]);
        double r = std::hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (int64_t i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const double el1 = e[l + 1];
        for (int64_t i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = std::hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          rotate_rows(w + i * n, w + (i + 1) * n, n, c, s);
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (std::fabs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

MK_DENSE_CLONES
double dot(const double* __restrict a, const double* __restrict b, int64_t n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t k = 0; k < n; k++) s += a[k] * b[k];
  return s;
}

MK_DENSE_CLONES
void dot3(const double* __restrict u, const double* __restrict v, int64_t n, double* out) {
  double a = 0, b = 0, g = 0;
#pragma omp simd reduction(+ : a, b, g)
  for (int64_t k = 0; k < n; k++) {
    a += u[k] * u[k];
    b += v[k] * v[k];
    g += u[k] * v[k];
  }
  out[0] = a;
  out[1] = b;
  out[2] = g;
}

MK_DENSE_CLONES
void axpy_rows(double* __restrict y, const double* __restrict x, int64_t n, double c) {
#pragma omp simd
  for (int64_t k = 0; k < n; k++) y[k] += c * x[k];
}

MK_DENSE_CLONES
void rotate_pair(double* __restrict u, double* __restrict v, int64_t n, double c, double s) {
#pragma omp simd
  for (int64_t k = 0; k < n; k++) {
    const double a = u[k];
    const double b = v[k];
    u[k] = c * a - s * b;
    v[k] = s * a + c * b;
  }
}

// Nearest centroid of one sub-vector (the portable path): dist_j = |c_j|^2 -
// 2 x.c_j over the transposed centroids ct (dsub x ksub) into tmp, then the
// minimum and its first index; returns j and |x|^2 + min.
MK_DENSE_CLONES
int32_t nearest(const float* __restrict xs, const float* __restrict ct, const float* __restrict cn, int64_t ksub, int64_t dsub,
                float* __restrict tmp, float* best_dist) {
  for (int64_t j = 0; j < ksub; j++) tmp[j] = cn[j];
  for (int64_t t = 0; t < dsub; t++) {
    const float v = -2.0f * xs[t];
    const float* __restrict row = ct + t * ksub;
#pragma omp simd
    for (int64_t j = 0; j < ksub; j++) tmp[j] += v * row[j];
  }
  float mn = tmp[0];
#pragma omp simd reduction(min : mn)
  for (int64_t j = 0; j < ksub; j++) mn = tmp[j] < mn ? tmp[j] : mn;
  int64_t arg = 0;
  while (tmp[arg] != mn) arg++;
  float xn = 0;
  for (int64_t t = 0; t < dsub; t++) xn += xs[t] * xs[t];
  *best_dist = xn + mn;
  return static_cast<int32_t>(arg);
}

bool have_avx512() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
#else
  return false;
#endif
}

}  // namespace

void pq_kmeans_step(const float* x, int64_t n, int64_t M, int64_t ksub, int64_t dsub, const float* centroids,
                    int32_t* assign, double* sums, double* counts, double* obj) {
  const int64_t d = M * dsub;
  std::vector<float> ct(static_cast<size_t>(M * ksub * dsub)), cn(static_cast<size_t>(M * ksub));
  for (int64_t m = 0; m < M; m++) {
    for (int64_t j = 0; j < ksub; j++) {
      const float* c = centroids + (m * ksub + j) * dsub;
      float nn = 0;
      for (int64_t t = 0; t < dsub; t++) {
        ct[(m * dsub + t) * ksub + j] = c[t];
        nn += c[t] * c[t];
      }
      cn[m * ksub + j] = nn;
    }
  }
  const int64_t block = 512;
  const int64_t ntasks = (n + block - 1) / block;
  const int slots = planned_slots(ntasks);
  const bool acc = sums != nullptr;
  const size_t accSize = acc ? static_cast<size_t>(M * ksub * (dsub + 1)) : 0;
  std::vector<std::vector<double>> partial(static_cast<size_t>(slots), std::vector<double>(accSize, 0.0));
  std::vector<double> partialObj(static_cast<size_t>(slots), 0.0);
  const bool simd512 = have_avx512() && ksub % 16 == 0;
  std::vector<std::vector<float>> tmp(static_cast<size_t>(slots), std::vector<float>(static_cast<size_t>(ksub)));
  std::vector<std::vector<float>> dbuf(static_cast<size_t>(slots), std::vector<float>(static_cast<size_t>(block * M)));
  parallel_for(ntasks, slots, [&](int64_t task, int slot) {
    const int64_t i0 = task * block, i1 = std::min(n, i0 + block);
    double* ps = acc ? partial[slot].data() : nullptr;
    double* pc = acc ? ps + M * ksub * dsub : nullptr;
    float* db = dbuf[slot].data();
    int32_t* as = assign + i0 * M;
#if defined(__x86_64__)
    if (simd512) {
      dense_pq_nearest_avx512(x + i0 * d, 0, i1 - i0, M, ksub, dsub, ct.data(), cn.data(), as, db);
    } else
#endif
    {
      float* tp = tmp[slot].data();
      for (int64_t i = i0; i < i1; i++)
        for (int64_t m = 0; m < M; m++)
          as[(i - i0) * M + m] = nearest(x + i * d + m * dsub, ct.data() + m * dsub * ksub, cn.data() + m * ksub, ksub, dsub, tp, db + (i - i0) * M + m);
    }
    double o = 0;
    for (int64_t i = i0; i < i1; i++) {
      const float* xi = x + i * d;
      for (int64_t m = 0; m < M; m++) {
        const int32_t j = as[(i - i0) * M + m];
        o += db[(i - i0) * M + m];
        if (acc) {
          double* sj = ps + (m * ksub + j) * dsub;
          for (int64_t t = 0; t < dsub; t++) sj[t] += xi[m * dsub + t];
          pc[m * ksub + j] += 1;
        }
      }
    }
    partialObj[slot] += o;
  });
  double total = 0;
  for (int s2 = 0; s2 < slots; s2++) total += partialObj[s2];
  if (obj) *obj = total;
  if (acc) {
    const int64_t ns = M * ksub * dsub;
    for (int64_t i = 0; i < ns; i++) sums[i] = 0;
    for (int64_t i = 0; i < M * ksub; i++) counts[i] = 0;
    for (int s2 = 0; s2 < slots; s2++) {
      const double* ps = partial[s2].data();
      for (int64_t i = 0; i < ns; i++) sums[i] += ps[i];
      for (int64_t i = 0; i < M * ksub; i++) counts[i] += ps[ns + i];
    }
  }
}

void svd_rows(double* x, int64_t p, int64_t q, double* j) {
  if (p <= 0) return;
  // precondition: E = eigenvectors of G = X Xᵀ; Y = E X, J = E
  std::vector<double> g(static_cast<size_t>(p * p));
  for (int64_t a = 0; a < p; a++) {
    for (int64_t b = 0; b <= a; b++) {
      const double v = dot(x + a * q, x + b * q, q);
      g[a * p + b] = v;
      g[b * p + a] = v;
    }
  }
  std::vector<double> w(static_cast<size_t>(p));
  symmetric_eigen(g.data(), p, w.data());  // rows of g: eigenvectors
  std::vector<double> y(static_cast<size_t>(p * q), 0.0);
  for (int64_t a = 0; a < p; a++) {
    double* ya = y.data() + a * q;
    for (int64_t b = 0; b < p; b++) {
      const double c = g[a * p + b];
      if (c != 0) axpy_rows(ya, x + b * q, q, c);
    }
  }
  for (int64_t i = 0; i < p * p; i++) j[i] = g[i];
  for (int64_t i = 0; i < p * q; i++) x[i] = y[i];
  const double tol = 1e-15;
  // rows below this squared norm are rounding noise of a rank-deficient matrix: left alone
  double total = 0;
  for (int64_t a = 0; a < p; a++) total += dot(x + a * q, x + a * q, q);
  const double tiny = total * 1e-28;
  double abg[3];
  for (int sweep = 0; sweep < 60; sweep++) {
    bool rotated = false;
    for (int64_t a = 0; a + 1 < p; a++) {
      for (int64_t b = a + 1; b < p; b++) {
        dot3(x + a * q, x + b * q, q, abg);
        const double alpha = abg[0], beta = abg[1], gamma = abg[2];
        if (gamma == 0 || std::fabs(gamma) <= tol * std::sqrt(alpha * beta) || alpha <= tiny || beta <= tiny) continue;
        rotated = true;
        const double zeta = (beta - alpha) / (2 * gamma);
        const double t = (zeta >= 0 ? 1.0 : -1.0) / (std::fabs(zeta) + std::sqrt(1 + zeta * zeta));
        const double c = 1 / std::sqrt(1 + t * t);
        const double s = c * t;
        rotate_pair(x + a * q, x + b * q, q, c, s);
        rotate_pair(j + a * p, j + b * p, p, c, s);
      }
    }
    if (!rotated) return;
  }
  throw std::runtime_error("one-sided Jacobi did not converge");
}

void symmetric_eigen(double* a, int64_t n, double* values) {
  if (n <= 0) return;
  std::vector<double> e(static_cast<size_t>(n));
  tridiagonalize(a, n, values, e.data());
  ql_implicit(a, n, values, e.data());
}

}  // namespace mk
