// Registration of the grouped / bounded k-means assignment bindings (kmeans-bindings.cc).
#pragma once
#include <napi.h>

namespace mk {
void register_kmeans_bindings(Napi::Env env, Napi::Object exports);
}
