// N-API bindings of the k-means and IVF kernels; registered from addon.cc.
#pragma once
#include <napi.h>

namespace mk {
void register_ivf_bindings(Napi::Env env, Napi::Object exports);
}
