// N-API bindings of the k-means and IVF kernels (kmeans.h, ivf.h): argument
// and byte-length checks, sync calls, and Napi::AsyncWorker + Promise forms
// (inputs and outputs pinned until the promise settles; Execute touches no
// JS). Same conventions as bindings.cc; registered from addon.cc.
#include "ivf-bindings.h"

#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ivf.h"
#include "kmeans.h"

namespace mk {
namespace {

constexpr int64_t kMaxSafe = 9007199254740991LL;  // 2^53 - 1

struct Args {
  const Napi::CallbackInfo& info;
  const char* fn;
  std::vector<Napi::Value> keep;

  [[noreturn]] void fail(const std::string& msg, bool range = false) const {
    const std::string m = std::string(fn) + ": " + msg;
    if (range) throw Napi::RangeError::New(info.Env(), m);
    throw Napi::TypeError::New(info.Env(), m);
  }

  int64_t integer(size_t i, const char* name, int64_t min, int64_t max = kMaxSafe) const {
    if (i >= info.Length() || !info[i].IsNumber()) fail(std::string("expected a number for ") + name);
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max)) || v != static_cast<double>(static_cast<int64_t>(v)))
      fail(std::string("expected an integer in [") + std::to_string(min) + ", " + std::to_string(max) + "] for " + name, true);
    return static_cast<int64_t>(v);
  }

  double number(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsNumber()) fail(std::string("expected a number for ") + name);
    return info[i].As<Napi::Number>().DoubleValue();
  }

  bool boolean(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsBoolean()) fail(std::string("expected a boolean for ") + name);
    return info[i].As<Napi::Boolean>().Value();
  }

  bool is_nullish(size_t i) const { return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined(); }

  // A typed array's data; `elements` < 0 means "any length" (returned in *length).
  template <typename T>
  T* view(Napi::Value v, const std::string& name, napi_typedarray_type type, const char* type_name, int64_t elements,
          int64_t* length = nullptr) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      fail("expected a " + std::string(type_name) + " for " + name);
    auto arr = v.As<Napi::TypedArray>();
    if (elements >= 0 && arr.ByteLength() != static_cast<size_t>(elements) * sizeof(T))
      fail("expected " + std::to_string(static_cast<size_t>(elements) * sizeof(T)) + " bytes (" + std::to_string(elements) +
               " elements) for " + name + ", received " + std::to_string(arr.ByteLength()),
           true);
    if (length) *length = static_cast<int64_t>(arr.ByteLength() / sizeof(T));
    if (arr.ByteLength() == 0) return nullptr;
    auto* base = static_cast<uint8_t*>(arr.ArrayBuffer().Data());
    if (!base) fail("the buffer of " + name + " is detached");
    return reinterpret_cast<T*>(base + arr.ByteOffset());
  }

  template <typename T>
  T* array(size_t i, const char* name, napi_typedarray_type type, const char* type_name, int64_t elements,
           int64_t* length = nullptr) {
    if (i >= info.Length()) fail(std::string("expected a ") + type_name + " for " + name);
    T* p = view<T>(info[i], name, type, type_name, elements, length);
    keep.push_back(info[i]);
    return p;
  }

  float* f32(size_t i, const char* name, int64_t elements) {
    return array<float>(i, name, napi_float32_array, "Float32Array", elements);
  }
  int64_t* i64(size_t i, const char* name, int64_t elements) {
    return array<int64_t>(i, name, napi_bigint64_array, "BigInt64Array", elements);
  }

  int64_t product(int64_t a, int64_t b, const char* what) const {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || r > kMaxSafe) fail(std::string(what) + " overflows", true);
    return r;
  }
};

// ------------------------------------------------------------- async plumbing

using ResultFn = std::function<Napi::Value(Napi::Env)>;

class Worker : public Napi::AsyncWorker {
 public:
  Worker(Napi::Env env, const char* name, std::function<void()> run, ResultFn result, const std::vector<Napi::Value>& keep)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), run_(std::move(run)), result_(std::move(result)) {
    for (const Napi::Value& v : keep) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override {  // libuv worker thread: no JS here
    try {
      run_();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(result_ ? result_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, e.what()).Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> run_;
  ResultFn result_;
  std::vector<Napi::ObjectReference> refs_;  // pins inputs and outputs until done
};

Napi::Value queue(Napi::Env env, const char* name, std::function<void()> run, ResultFn result,
                  const std::vector<Napi::Value>& keep) {
  auto* w = new Worker(env, name, std::move(run), std::move(result), keep);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

template <typename F>
void run_sync(Napi::Env env, const char* name, F&& f) {
  try {
    f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(name) + ": " + e.what());
  }
}

// ------------------------------------------------------------- kmeansUpdate

// (x, n, d, k, assign, weights|null, centroids, counts)
KmeansUpdateParams kmeans_params(Args& a) {
  KmeansUpdateParams p{};
  p.n = a.integer(1, "n", 0);
  p.d = a.integer(2, "d", 1);
  p.k = a.integer(3, "k", 1, 2147483647);
  p.x = a.f32(0, "x", a.product(p.n, p.d, "n * d"));
  p.assign = a.i64(4, "assign", p.n);
  p.weights = a.is_nullish(5) ? nullptr : a.f32(5, "weights", p.n);
  p.centroids = a.f32(6, "centroids", a.product(p.k, p.d, "k * d"));
  p.counts = a.f32(7, "counts", p.k);
  return p;
}

Napi::Value KmeansUpdate(const Napi::CallbackInfo& info) {
  Args a{info, "kmeansUpdate", {}};
  KmeansUpdateParams p = kmeans_params(a);
  run_sync(info.Env(), a.fn, [&] { kmeans_update(p); });
  return info.Env().Undefined();
}

Napi::Value KmeansUpdateAsync(const Napi::CallbackInfo& info) {
  Args a{info, "kmeansUpdateAsync", {}};
  KmeansUpdateParams p = kmeans_params(a);
  return queue(info.Env(), a.fn, [p] { kmeans_update(p); }, nullptr, a.keep);
}

// ------------------------------------------------------------- kmeansAssign

// (x, n, d, c, k, metric, xnorms|null, ids|null, distances, labels)
KmeansAssignParams assign_params(Args& a) {
  KmeansAssignParams p{};
  p.n = a.integer(1, "n", 0);
  p.d = a.integer(2, "d", 1, 1 << 24);
  p.k = a.integer(4, "k", 1, (int64_t(1) << 24) - 1);  // packed indices travel as float
  p.metric = static_cast<int>(a.integer(5, "metric", 0, 1));
  p.x = a.f32(0, "x", a.product(p.n, p.d, "n * d"));
  p.c = a.f32(3, "centroids", a.product(p.k, p.d, "k * d"));
  p.xnorms = a.is_nullish(6) ? nullptr : a.f32(6, "xNorms", p.n);
  p.ids = a.is_nullish(7) ? nullptr : a.i64(7, "ids", p.k);
  p.distances = a.f32(8, "distances", p.n);
  p.labels = a.i64(9, "labels", p.n);
  return p;
}

Napi::Value KmeansAssign(const Napi::CallbackInfo& info) {
  Args a{info, "kmeansAssign", {}};
  KmeansAssignParams p = assign_params(a);
  run_sync(info.Env(), a.fn, [&] { kmeans_assign(p); });
  return info.Env().Undefined();
}

Napi::Value KmeansAssignAsync(const Napi::CallbackInfo& info) {
  Args a{info, "kmeansAssignAsync", {}};
  KmeansAssignParams p = assign_params(a);
  return queue(info.Env(), a.fn, [p] { kmeans_assign(p); }, nullptr, a.keep);
}

// ------------------------------------------------------------- IVF-Flat scans

// Owns the per-list pointer tables the kernel reads.
struct IvfCall {
  IvfScanParams p{};
  std::vector<const float*> codes;
  std::vector<const int64_t*> ids;
};

// Common arguments: (xq, nq, d, k|radius, metric, coarse, nprobe, codes[], ids[], sizes, storePairs, ...)
std::shared_ptr<IvfCall> ivf_params(Args& a, bool topk) {
  auto call = std::make_shared<IvfCall>();
  IvfScanParams& p = call->p;
  p.nq = a.integer(1, "nq", 0);
  p.d = a.integer(2, "d", 1, 1 << 24);
  if (topk) {
    p.k = a.integer(3, "k", 1, 2147483647);
  } else {
    const double radius = a.number(3, "radius");
    if (radius != radius) a.fail("expected a number (not NaN) for radius", true);
    p.radius = static_cast<float>(radius);
  }
  p.metric = static_cast<int>(a.integer(4, "metric", 0, 1));
  p.nprobe = a.integer(6, "nprobe", 1, 2147483647);
  p.xq = a.f32(0, "xq", a.product(p.nq, p.d, "nq * d"));
  p.coarse = a.i64(5, "coarse", a.product(p.nq, p.nprobe, "nq * nprobe"));
  int64_t nlist = 0;
  p.sizes = a.array<int32_t>(9, "sizes", napi_int32_array, "Int32Array", -1, &nlist);
  p.nlist = nlist;
  p.store_pairs = a.boolean(10, "storePairs");
  if (nlist > 2147483647) a.fail("expected at most 2^31 - 1 lists", true);

  if (7 >= a.info.Length() || !a.info[7].IsArray()) a.fail("expected an array of Uint8Array for codes");
  if (8 >= a.info.Length() || !a.info[8].IsArray()) a.fail("expected an array of BigInt64Array for ids");
  Napi::Array codes = a.info[7].As<Napi::Array>();
  Napi::Array ids = a.info[8].As<Napi::Array>();
  if (static_cast<int64_t>(codes.Length()) != nlist || static_cast<int64_t>(ids.Length()) != nlist)
    a.fail("expected codes and ids arrays with one entry per list (" + std::to_string(nlist) + ")", true);
  a.keep.push_back(a.info[7]);
  a.keep.push_back(a.info[8]);

  // Read only the lists the coarse assignment names.
  call->codes.assign(nlist, nullptr);
  call->ids.assign(nlist, nullptr);
  std::vector<uint8_t> seen(nlist, 0);
  const int64_t pairs = p.nq * p.nprobe;
  for (int64_t i = 0; i < pairs; i++) {
    const int64_t key = p.coarse[i];
    if (key < -1 || key >= nlist)
      a.fail("expected list numbers in [-1, " + std::to_string(nlist) + ") in coarse, received " + std::to_string(key), true);
    if (key < 0 || seen[key]) continue;
    seen[key] = 1;
    const int64_t size = p.sizes[key];
    if (size < 0) a.fail("expected sizes >= 0, received " + std::to_string(size) + " for list " + std::to_string(key), true);
    if (size == 0) continue;
    const std::string cname = "codes[" + std::to_string(key) + "]";
    int64_t clen = 0;
    uint8_t* c = a.view<uint8_t>(codes.Get(static_cast<uint32_t>(key)), cname, napi_uint8_array, "Uint8Array", -1, &clen);
    if (clen < size * p.d * 4) a.fail("expected at least " + std::to_string(size * p.d * 4) + " bytes for " + cname, true);
    if (reinterpret_cast<uintptr_t>(c) % 4 != 0) a.fail("expected a 4-byte aligned Uint8Array for " + cname, true);
    const std::string iname = "ids[" + std::to_string(key) + "]";
    int64_t ilen = 0;
    int64_t* idp = a.view<int64_t>(ids.Get(static_cast<uint32_t>(key)), iname, napi_bigint64_array, "BigInt64Array", -1, &ilen);
    if (ilen < size) a.fail("expected at least " + std::to_string(size) + " entries for " + iname, true);
    call->codes[key] = reinterpret_cast<const float*>(c);
    call->ids[key] = idp;
  }
  p.codes = call->codes.data();
  p.ids = call->ids.data();
  if (topk) {
    const int64_t out = a.product(p.nq, p.k, "nq * k");
    p.distances = a.f32(11, "distances", out);
    p.labels = a.i64(12, "labels", out);
  }
  return call;
}

Napi::Value IvfSearchFlat(const Napi::CallbackInfo& info) {
  Args a{info, "ivfSearchFlat", {}};
  auto call = ivf_params(a, true);
  run_sync(info.Env(), a.fn, [&] { ivf_search_flat(call->p); });
  return info.Env().Undefined();
}

Napi::Value IvfSearchFlatAsync(const Napi::CallbackInfo& info) {
  Args a{info, "ivfSearchFlatAsync", {}};
  auto call = ivf_params(a, true);
  return queue(info.Env(), a.fn, [call] { ivf_search_flat(call->p); }, nullptr, a.keep);
}

Napi::Value range_to_js(Napi::Env env, const RangeResult& r) {
  const size_t n = r.distances.size();
  auto lims = Napi::TypedArrayOf<int64_t>::New(env, r.lims.size());
  auto dist = Napi::Float32Array::New(env, n);
  auto labels = Napi::TypedArrayOf<int64_t>::New(env, n);
  if (!r.lims.empty()) std::memcpy(lims.Data(), r.lims.data(), r.lims.size() * sizeof(int64_t));
  if (n) {
    std::memcpy(dist.Data(), r.distances.data(), n * sizeof(float));
    std::memcpy(labels.Data(), r.labels.data(), n * sizeof(int64_t));
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("lims", lims);
  o.Set("distances", dist);
  o.Set("labels", labels);
  return o;
}

Napi::Value IvfRangeSearchFlat(const Napi::CallbackInfo& info) {
  Args a{info, "ivfRangeSearchFlat", {}};
  auto call = ivf_params(a, false);
  RangeResult r;
  run_sync(info.Env(), a.fn, [&] { r = ivf_range_search_flat(call->p); });
  return range_to_js(info.Env(), r);
}

Napi::Value IvfRangeSearchFlatAsync(const Napi::CallbackInfo& info) {
  Args a{info, "ivfRangeSearchFlatAsync", {}};
  auto call = ivf_params(a, false);
  auto result = std::make_shared<RangeResult>();
  return queue(
      info.Env(), a.fn, [call, result] { *result = ivf_range_search_flat(call->p); },
      [result](Napi::Env env) { return range_to_js(env, *result); }, a.keep);
}

}  // namespace

void register_ivf_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("kmeansUpdate", Napi::Function::New(env, KmeansUpdate, "kmeansUpdate"));
  exports.Set("kmeansUpdateAsync", Napi::Function::New(env, KmeansUpdateAsync, "kmeansUpdateAsync"));
  exports.Set("kmeansAssign", Napi::Function::New(env, KmeansAssign, "kmeansAssign"));
  exports.Set("kmeansAssignAsync", Napi::Function::New(env, KmeansAssignAsync, "kmeansAssignAsync"));
  exports.Set("ivfSearchFlat", Napi::Function::New(env, IvfSearchFlat, "ivfSearchFlat"));
  exports.Set("ivfSearchFlatAsync", Napi::Function::New(env, IvfSearchFlatAsync, "ivfSearchFlatAsync"));
  exports.Set("ivfRangeSearchFlat", Napi::Function::New(env, IvfRangeSearchFlat, "ivfRangeSearchFlat"));
  exports.Set("ivfRangeSearchFlatAsync", Napi::Function::New(env, IvfRangeSearchFlatAsync, "ivfRangeSearchFlatAsync"));
}

}  // namespace mk
