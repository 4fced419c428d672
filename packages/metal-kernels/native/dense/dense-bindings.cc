// N-API bindings of the dense kernels: symmetricEigen (sync) and
// symmetricEigenAsync (Napi::AsyncWorker + Promise; the matrix is pinned).
#include <napi.h>

#include <exception>
#include <string>
#include <vector>

#include "dense.h"

namespace mk {
namespace {

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
    auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data());
    return reinterpret_cast<double*>(base + arr.ByteOffset());
  };
  EigenArgs r{f64(0, "a", n * n), n, f64(2, "values", n), info[0], info[2]};
  return r;
}

Napi::Value SymmetricEigen(const Napi::CallbackInfo& info) {
  EigenArgs a = eigen_args(info, "symmetricEigen");
  try {
    symmetric_eigen(a.a, a.n, a.values);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("symmetricEigen: ") + e.what());
  }
  return info.Env().Undefined();
}

class EigenWorker : public Napi::AsyncWorker {
 public:
  EigenWorker(Napi::Env env, const EigenArgs& a)
      : Napi::AsyncWorker(env, "symmetricEigenAsync"), deferred_(Napi::Promise::Deferred::New(env)), args_(a) {
    a_ref_ = Napi::Persistent(a.a_value.As<Napi::Object>());
    values_ref_ = Napi::Persistent(a.values_value.As<Napi::Object>());
  }
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override {
    try {
      symmetric_eigen(args_.a, args_.n, args_.values);
    } catch (const std::exception& e) {
      SetError(std::string("symmetricEigenAsync: ") + e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  EigenArgs args_;
  Napi::ObjectReference a_ref_, values_ref_;
};

Napi::Value SymmetricEigenAsync(const Napi::CallbackInfo& info) {
  EigenArgs a = eigen_args(info, "symmetricEigenAsync");
  auto* w = new EigenWorker(info.Env(), a);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
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
    return reinterpret_cast<double*>(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset());
  };
  double* x = f64(0, "x", p * q);
  double* j = f64(3, "j", p * p);
  try {
    svd_rows(x, p, q, j);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("svdRows: ") + e.what());
  }
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
    return static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  };
  a.x = static_cast<const float*>(typed(0, "x", napi_float32_array, 4, a.n * a.M * a.dsub));
  a.centroids = static_cast<const float*>(typed(5, "centroids", napi_float32_array, 4, a.M * a.ksub * a.dsub));
  a.assign = static_cast<int32_t*>(typed(6, "assign", napi_int32_array, 4, a.n * a.M));
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
  try {
    pq_kmeans_step(a.x, a.n, a.M, a.ksub, a.dsub, a.centroids, a.assign, a.sums, a.counts, &obj);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("pqKmeansStep: ") + e.what());
  }
  return Napi::Number::New(info.Env(), obj);
}

class PqStepWorker : public Napi::AsyncWorker {
 public:
  PqStepWorker(Napi::Env env, const PqStepArgs& a, const std::vector<Napi::Value>& keep)
      : Napi::AsyncWorker(env, "pqKmeansStepAsync"), deferred_(Napi::Promise::Deferred::New(env)), a_(a) {
    for (const auto& v : keep) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override {
    try {
      pq_kmeans_step(a_.x, a_.n, a_.M, a_.ksub, a_.dsub, a_.centroids, a_.assign, a_.sums, a_.counts, &obj_);
    } catch (const std::exception& e) {
      SetError(std::string("pqKmeansStepAsync: ") + e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), obj_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  PqStepArgs a_;
  double obj_ = 0;
  std::vector<Napi::ObjectReference> refs_;
};

Napi::Value PqKmeansStepAsync(const Napi::CallbackInfo& info) {
  std::vector<Napi::Value> keep;
  PqStepArgs a = pq_step_args(info, "pqKmeansStepAsync", keep);
  auto* w = new PqStepWorker(info.Env(), a, keep);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace

void register_dense_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("symmetricEigen", Napi::Function::New(env, SymmetricEigen, "symmetricEigen"));
  exports.Set("symmetricEigenAsync", Napi::Function::New(env, SymmetricEigenAsync, "symmetricEigenAsync"));
  exports.Set("svdRows", Napi::Function::New(env, SvdRows, "svdRows"));
  exports.Set("pqKmeansStep", Napi::Function::New(env, PqKmeansStep, "pqKmeansStep"));
  exports.Set("pqKmeansStepAsync", Napi::Function::New(env, PqKmeansStepAsync, "pqKmeansStepAsync"));
}

}  // namespace mk
