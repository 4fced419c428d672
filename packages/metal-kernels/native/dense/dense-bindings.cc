// N-API bindings of the dense kernels: symmetricEigen (sync) and
// symmetricEigenAsync (Napi::AsyncWorker + Promise; the matrix is pinned).
#include <napi.h>

#include <exception>
#include <string>

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

}  // namespace

void register_dense_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("symmetricEigen", Napi::Function::New(env, SymmetricEigen, "symmetricEigen"));
  exports.Set("symmetricEigenAsync", Napi::Function::New(env, SymmetricEigenAsync, "symmetricEigenAsync"));
  exports.Set("svdRows", Napi::Function::New(env, SvdRows, "svdRows"));
}

}  // namespace mk
