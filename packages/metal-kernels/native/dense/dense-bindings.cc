// N-API bindings of the dense kernels: symmetricEigen, svdRows and
// pqKmeansStep (sync), symmetricEigenAsync and pqKmeansStepAsync (Promise;
// the arrays are pinned). Argument messages are this file's own; the async
// plumbing and exception translation are napi-util.h's.
#include <napi.h>

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dense.h"
#include "napi-util.h"

namespace mk {
namespace {

using napi_util::typed_data;

// Runs f on a worker thread, prefixing an exception's message with the function name.
template <typename F>
void prefixed(const char* name, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(name) + ": " + e.what());
  }
}

struct EigenArgs {
  double* a;
  int64_t n;
  double* values;
  Napi::Value a_value, values_value;
};

EigenArgs eigen_args(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  auto fail = [&](const std::string& m) { throw Napi::TypeError::New(env, std::string(fn) + ": " + m); };
  if (info.Length() < 3 || !info[1].IsNumber()) fail("expected (a: Float64Array, n: number, values: Float64Array)");
  const double nd = info[1].As<Napi::Number>().DoubleValue();
  if (!(nd >= 1 && nd <= 65536) || nd != static_cast<double>(static_cast<int64_t>(nd))) fail("expected an integer n in [1, 65536]");
  const int64_t n = static_cast<int64_t>(nd);
  auto f64 = [&](size_t i, const char* name, int64_t count) -> double* {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      fail(std::string("expected a Float64Array for ") + name);
    auto arr = info[i].As<Napi::TypedArray>();
    if (arr.ByteLength() != static_cast<size_t>(count) * sizeof(double))
      fail(std::string("expected ") + std::to_string(count) + " elements for " + name);
    return reinterpret_cast<double*>(typed_data(info[i]));
  };
  EigenArgs r{f64(0, "a", n * n), n, f64(2, "values", n), info[0], info[2]};
  return r;
}

Napi::Value SymmetricEigen(const Napi::CallbackInfo& info) {
  const EigenArgs a = eigen_args(info, "symmetricEigen");
  napi_util::run_sync(info.Env(), "symmetricEigen", [&] { symmetric_eigen(a.a, a.n, a.values); });
  return info.Env().Undefined();
}

Napi::Value SymmetricEigenAsync(const Napi::CallbackInfo& info) {
  const EigenArgs a = eigen_args(info, "symmetricEigenAsync");
  double* m = a.a;
  double* values = a.values;
  const int64_t n = a.n;
  return napi_util::queue(
      info.Env(), "symmetricEigenAsync",
      [m, n, values] { prefixed("symmetricEigenAsync", [&] { symmetric_eigen(m, n, values); }); }, nullptr,
      {a.a_value, a.values_value});
}

// svdRows(x: Float64Array (p*q), p, q, j: Float64Array (p*p)) -> undefined, in place
Napi::Value SvdRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fail = [&](const std::string& m) { throw Napi::TypeError::New(env, std::string("svdRows: ") + m); };
  if (info.Length() < 4 || !info[1].IsNumber() || !info[2].IsNumber()) fail("expected (x: Float64Array, p, q, j: Float64Array)");
  const double pd = info[1].As<Napi::Number>().DoubleValue();
  const double qd = info[2].As<Napi::Number>().DoubleValue();
  if (!(pd >= 1 && qd >= pd && qd <= 1e7 && pd <= 65536) || pd != static_cast<double>(static_cast<int64_t>(pd)) ||
      qd != static_cast<double>(static_cast<int64_t>(qd)))
    fail("expected integers 1 <= p <= q");
  const int64_t p = static_cast<int64_t>(pd), q = static_cast<int64_t>(qd);
  auto f64 = [&](size_t i, const char* name, int64_t count) -> double* {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      fail(std::string("expected a Float64Array for ") + name);
    auto arr = info[i].As<Napi::TypedArray>();
    if (arr.ByteLength() != static_cast<size_t>(count) * sizeof(double))
      fail(std::string("expected ") + std::to_string(count) + " elements for " + name);
    return reinterpret_cast<double*>(typed_data(info[i]));
  };
  double* x = f64(0, "x", p * q);
  double* j = f64(3, "j", p * p);
  napi_util::run_sync(env, "svdRows", [&] { svd_rows(x, p, q, j); });
  return env.Undefined();
}

// pqKmeansStep(x: Float32Array (n*M*dsub), n, M, ksub, dsub, centroids: Float32Array (M*ksub*dsub),
//              assign: Int32Array (n*M), sums: Float64Array (M*ksub*dsub) | null, counts: Float64Array (M*ksub) | null)
//   -> obj (number)
struct PqStepArgs {
  const float* x;
  int64_t n, M, ksub, dsub;
  const float* centroids;
  int32_t* assign;
  double* sums;
  double* counts;
};

PqStepArgs pq_step_args(const Napi::CallbackInfo& info, const char* fn, std::vector<Napi::Value>& keep) {
  Napi::Env env = info.Env();
  auto fail = [&](const std::string& m) { throw Napi::TypeError::New(env, std::string(fn) + ": " + m); };
  if (info.Length() < 9) fail("expected 9 arguments");
  auto integer = [&](size_t i, const char* name, double lo, double hi) -> int64_t {
    if (!info[i].IsNumber()) fail(std::string("expected a number for ") + name);
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (!(v >= lo && v <= hi) || v != static_cast<double>(static_cast<int64_t>(v))) fail(std::string("expected an integer in range for ") + name);
    return static_cast<int64_t>(v);
  };
  PqStepArgs a{};
  a.n = integer(1, "n", 0, 9007199254740991.0);
  a.M = integer(2, "M", 1, 65536);
  a.ksub = integer(3, "ksub", 1, 65536);
  a.dsub = integer(4, "dsub", 1, 65536);
  auto typed = [&](size_t i, const char* name, napi_typedarray_type type, size_t elem, int64_t count) -> void* {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) fail(std::string("expected a typed array of the right type for ") + name);
    auto arr = info[i].As<Napi::TypedArray>();
    if (arr.ByteLength() != static_cast<size_t>(count) * elem) fail(std::string("expected ") + std::to_string(count) + " elements for " + name);
    keep.push_back(info[i]);
    return typed_data(info[i]);
  };
  // n <= 2^53 times M * dsub <= 2^32 can overflow: checked (a wrapped count could pass the byte-length check).
  int64_t n_m = 0, n_m_dsub = 0;
  if (__builtin_mul_overflow(a.n, a.M, &n_m) || __builtin_mul_overflow(n_m, a.dsub, &n_m_dsub) ||
      n_m_dsub > (int64_t(1) << 53))
    fail("expected n * M * dsub to fit in 2^53");
  a.x = static_cast<const float*>(typed(0, "x", napi_float32_array, 4, n_m_dsub));
  a.centroids = static_cast<const float*>(typed(5, "centroids", napi_float32_array, 4, a.M * a.ksub * a.dsub));
  a.assign = static_cast<int32_t*>(typed(6, "assign", napi_int32_array, 4, n_m));
  if (info[7].IsNull() || info[7].IsUndefined()) {
    a.sums = nullptr;
    a.counts = nullptr;
  } else {
    a.sums = static_cast<double*>(typed(7, "sums", napi_float64_array, 8, a.M * a.ksub * a.dsub));
    a.counts = static_cast<double*>(typed(8, "counts", napi_float64_array, 8, a.M * a.ksub));
  }
  return a;
}

Napi::Value PqKmeansStep(const Napi::CallbackInfo& info) {
  std::vector<Napi::Value> keep;
  PqStepArgs a = pq_step_args(info, "pqKmeansStep", keep);
  double obj = 0;
  napi_util::run_sync(info.Env(), "pqKmeansStep", [&] {
    pq_kmeans_step(a.x, a.n, a.M, a.ksub, a.dsub, a.centroids, a.assign, a.sums, a.counts, &obj);
  });
  return Napi::Number::New(info.Env(), obj);
}

Napi::Value PqKmeansStepAsync(const Napi::CallbackInfo& info) {
  std::vector<Napi::Value> keep;
  const PqStepArgs a = pq_step_args(info, "pqKmeansStepAsync", keep);
  auto obj = std::make_shared<double>(0);
  return napi_util::queue(
      info.Env(), "pqKmeansStepAsync",
      [a, obj] {
        prefixed("pqKmeansStepAsync", [&] {
          pq_kmeans_step(a.x, a.n, a.M, a.ksub, a.dsub, a.centroids, a.assign, a.sums, a.counts, obj.get());
        });
      },
      [obj](Napi::Env env) { return Napi::Number::New(env, *obj); }, keep);
}

}  // namespace

void register_dense_bindings(Napi::Env env, Napi::Object exports) {
  using napi_util::set_function;
  set_function(env, exports, "symmetricEigen", SymmetricEigen);
  set_function(env, exports, "symmetricEigenAsync", SymmetricEigenAsync);
  set_function(env, exports, "svdRows", SvdRows);
  set_function(env, exports, "pqKmeansStep", PqKmeansStep);
  set_function(env, exports, "pqKmeansStepAsync", PqKmeansStepAsync);
}

}  // namespace mk
