// Registers the HNSW graph kernels and the Hamming (binary code) kernels.
#pragma once
#include <napi.h>

namespace mk {
void register_hnsw_hamming_bindings(Napi::Env env, Napi::Object exports);
}
