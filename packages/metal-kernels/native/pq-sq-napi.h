// N-API helpers of the quantizer bindings (pq-bindings.cc, sq-bindings.cc):
// the views of an inverted-lists snapshot. The general helpers (argument
// readers, typed-array views, async plumbing, pair registration) are in
// napi-util.h.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "napi-util.h"
#include "sq.h"

namespace mk {
namespace napi_util {

// Views of the inverted lists a call touches (those named in `coarse`), in
// the layout of an InvertedListsSnapshot: codes[l] (Uint8Array whose first
// sizes[l] * code_size bytes are the codes), ids[l] (BigInt64Array whose first
// sizes[l] entries are the ids), sizes (Int32Array, one per list), and
// optional masks[l] (Uint8Array of at least sizes[l] bytes; 0 = skip entry).
// Lists no query probes are never read.
struct ListViews {
  std::vector<const uint8_t*> codes;
  std::vector<const int64_t*> ids;
  std::vector<int64_t> sizes;
  std::vector<const uint8_t*> masks;
  bool has_masks = false;
  int64_t nlist = 0;
};

inline ListViews list_views(Args& a, size_t i_codes, size_t i_ids, size_t i_sizes, size_t i_masks,
                            const int64_t* coarse, int64_t n_coarse, int64_t code_size) {
  ListViews v;
  if (i_sizes >= a.info.Length() || !a.info[i_sizes].IsTypedArray() ||
      a.info[i_sizes].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    a.fail("expected an Int32Array for list sizes");
  v.nlist = static_cast<int64_t>(a.info[i_sizes].As<Napi::TypedArray>().ElementLength());
  const int32_t* sizes = a.view<int32_t>(a.info[i_sizes], "sizes", napi_int32_array, "Int32Array", v.nlist);
  if (i_codes >= a.info.Length() || !a.info[i_codes].IsArray()) a.fail("expected an Array of Uint8Array for list codes");
  if (i_ids >= a.info.Length() || !a.info[i_ids].IsArray()) a.fail("expected an Array of BigInt64Array for list ids");
  Napi::Array codes = a.info[i_codes].As<Napi::Array>();
  Napi::Array ids = a.info[i_ids].As<Napi::Array>();
  if (static_cast<int64_t>(codes.Length()) != v.nlist || static_cast<int64_t>(ids.Length()) != v.nlist)
    a.fail("expected one codes and one ids array per list (" + std::to_string(v.nlist) + ")", true);
  v.has_masks = !a.is_nullish(i_masks);
  Napi::Array masks;
  if (v.has_masks) {
    if (!a.info[i_masks].IsArray()) a.fail("expected an Array (or null) for list masks");
    masks = a.info[i_masks].As<Napi::Array>();
    if (static_cast<int64_t>(masks.Length()) != v.nlist) a.fail("expected one mask per list", true);
  }
  v.codes.assign(v.nlist, nullptr);
  v.ids.assign(v.nlist, nullptr);
  v.sizes.assign(v.nlist, -1);
  v.masks.assign(v.nlist, nullptr);
  auto at_least = [&](Napi::Value x, napi_typedarray_type type, const char* type_name, size_t elem, int64_t n,
                      const std::string& name) -> const uint8_t* {
    if (!x.IsTypedArray() || x.As<Napi::TypedArray>().TypedArrayType() != type)
      a.fail(std::string("expected a ") + type_name + " for " + name);
    auto arr = x.As<Napi::TypedArray>();
    if (arr.ByteLength() < static_cast<size_t>(n) * elem)
      a.fail("expected at least " + std::to_string(n * elem) + " bytes for " + name + ", received " +
                 std::to_string(arr.ByteLength()),
             true);
    a.keep.push_back(x);
    if (arr.ByteLength() == 0) return nullptr;
    uint8_t* base = typed_data(x);
    if (!base) a.fail("the buffer of " + name + " is detached");
    return base;
  };
  for (int64_t i = 0; i < n_coarse; i++) {
    const int64_t l = coarse[i];
    if (l < -1 || l >= v.nlist) a.fail("expected list numbers in [-1, " + std::to_string(v.nlist) + ") in coarse", true);
    if (l < 0 || v.sizes[l] >= 0) continue;
    const int64_t n = sizes[l];
    if (n < 0) a.fail("expected list sizes >= 0", true);
    const std::string at = "[" + std::to_string(l) + "]";
    v.ids[l] = reinterpret_cast<const int64_t*>(
        at_least(ids.Get(static_cast<uint32_t>(l)), napi_bigint64_array, "BigInt64Array", 8, n, "ids" + at));
    v.codes[l] = at_least(codes.Get(static_cast<uint32_t>(l)), napi_uint8_array, "Uint8Array", 1,
                          a.product(n, code_size, "list size * code size"), "codes" + at);
    if (v.has_masks) {
      Napi::Value mv = masks.Get(static_cast<uint32_t>(l));
      if (!mv.IsNull() && !mv.IsUndefined()) v.masks[l] = at_least(mv, napi_uint8_array, "Uint8Array", 1, n, "masks" + at);
    }
    v.sizes[l] = n;
  }
  for (auto& s : v.sizes)
    if (s < 0) s = 0;
  return v;
}

// list_views() for an IVF call whose lists the kernel reads through `lists`
// (pointed at the views' tables); the returned views must outlive the call.
inline std::shared_ptr<ListViews> ivf_lists(Args& a, size_t i_codes, size_t i_ids, size_t i_sizes, size_t i_masks,
                                            const int64_t* coarse, int64_t n_coarse, int64_t code_size,
                                            sq::IvfLists& lists) {
  auto v = std::make_shared<ListViews>(list_views(a, i_codes, i_ids, i_sizes, i_masks, coarse, n_coarse, code_size));
  lists.codes = v->codes.data();
  lists.ids = v->ids.data();
  lists.sizes = v->sizes.data();
  lists.masks = v->has_masks ? v->masks.data() : nullptr;
  lists.nlist = v->nlist;
  return v;
}

// An IVF scan job (pq:: or sq::): top-k into pinned outputs, or a range
// search whose result it keeps; owns the list views the kernel reads.
template <typename P, void (*Search)(const P&), RangeResult (*RangeSearch)(const P&)>
struct IvfJob {
  std::shared_ptr<ListViews> views;
  P p;
  std::shared_ptr<RangeResult> r;
  void run() const {
    if (p.range) *r = RangeSearch(p);
    else Search(p);
  }
  Napi::Value result(Napi::Env env) const { return p.range ? range_to_js(env, *r) : env.Undefined(); }
};

// The last arguments of an IVF scan: radius at i (range), or k, distances,
// labels at i, i + 1, i + 2 (top-k).
template <typename P, void (*Search)(const P&), RangeResult (*RangeSearch)(const P&)>
void ivf_result_args(Args& a, IvfJob<P, Search, RangeSearch>& j, size_t i, bool range) {
  P& p = j.p;
  p.range = range;
  if (range) {
    p.radius = static_cast<float>(a.number_not_nan(i, "radius"));
    j.r = std::make_shared<RangeResult>();
  } else {
    p.k = a.integer(i, "k", 1);
    const int64_t out = a.product(p.nq, p.k, "nq * k");
    p.distances = a.f32(i + 1, "distances", out);
    p.labels = a.i64(i + 2, "labels", out);
  }
}

}  // namespace napi_util
}  // namespace mk
