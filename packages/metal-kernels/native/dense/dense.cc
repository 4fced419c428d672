// Householder tridiagonalisation + implicit QL (the EISPACK tred2/tql2
// scheme), written for row-contiguous inner loops: the working matrix W is
// the transpose of the textbook V, so the rank-2 updates, the accumulation
// of the reflectors and the Givens rotations all stream along rows and
// vectorise. The hot functions are compiled per ISA level (target_clones).
#include "dense.h"

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

}  // namespace

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
