// Registration only: the kernels live in kernels.cc (drivers) and isa/ (hot
// loops); the JS-facing functions in bindings.cc.
#include <napi.h>

#include "bindings.h"
#include "hnsw-bindings.h"
#include "ivf-bindings.h"
#include "kmeans-bindings.h"
#include "pq-bindings.h"
#include "sq-bindings.h"

namespace mk {
void register_dense_bindings(Napi::Env env, Napi::Object exports);  // dense/dense-bindings.cc
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  mk::register_bindings(env, exports);
  mk::register_hnsw_hamming_bindings(env, exports);
  mk::register_ivf_bindings(env, exports);
  mk::register_kmeans_bindings(env, exports);
  mk::register_dense_bindings(env, exports);
  mk::register_sq_bindings(env, exports);
  mk::register_pq_bindings(env, exports);
  return exports;
}

NODE_API_MODULE(metal_kernels, Init)
