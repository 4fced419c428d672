// N-API bindings: argument checks (byte lengths included), sync calls and
// Napi::AsyncWorker + Promise forms. Registration happens in addon.cc.
#pragma once
#include <napi.h>

namespace mk {
void register_bindings(Napi::Env env, Napi::Object exports);
}
