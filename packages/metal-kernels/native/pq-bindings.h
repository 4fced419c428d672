// N-API registration of the product-quantizer kernels (pq-bindings.cc).
#pragma once
#include <napi.h>

namespace mk {
void register_pq_bindings(Napi::Env env, Napi::Object exports);
}
