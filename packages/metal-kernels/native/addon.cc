#include <napi.h>

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "0.0.0"));
  return exports;
}

NODE_API_MODULE(metal_kernels, Init)
