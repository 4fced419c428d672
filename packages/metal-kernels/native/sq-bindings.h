// N-API registration of the scalar-quantizer kernels (sq-bindings.cc).
#pragma once
#include <napi.h>

namespace mk {
void register_sq_bindings(Napi::Env env, Napi::Object exports);
}
