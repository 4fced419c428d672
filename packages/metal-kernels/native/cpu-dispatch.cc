#include "cpu-dispatch.h"

#include <atomic>
#include <stdexcept>

namespace mk {
namespace {

std::vector<const IsaKernels*> detect() {
  std::vector<const IsaKernels*> levels;
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  // x86-64-v4 = AVX-512 F/BW/CD/DQ/VL on top of v3; libgcc also checks that
  // the OS saves the zmm/ymm state (XGETBV) before reporting these.
  bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2") &&
            __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("movbe");
  bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vl");
  if (v4) levels.push_back(isa_avx512());
  if (v3) levels.push_back(isa_avx2());
#endif
  levels.push_back(isa_generic());
  return levels;
}

const std::vector<const IsaKernels*>& levels() {
  static const std::vector<const IsaKernels*> l = detect();
  return l;
}

std::atomic<const IsaKernels*>& selected() {
  static std::atomic<const IsaKernels*> s{levels().front()};
  return s;
}

}  // namespace

const IsaKernels* current_isa() { return selected().load(std::memory_order_acquire); }

std::vector<std::string> supported_levels() {
  std::vector<std::string> names;
  for (const IsaKernels* k : levels()) names.push_back(k->name);
  return names;
}

void select_level(const std::string& name) {
  for (const IsaKernels* k : levels()) {
    if (name == k->name) {
      selected().store(k, std::memory_order_release);
      return;
    }
  }
  std::string list;
  for (const IsaKernels* k : levels()) list += (list.empty() ? "" : ", ") + std::string(k->name);
  throw std::invalid_argument("expected one of " + list + " (the levels this CPU supports), received \"" + name +
                              "\"");
}

}  // namespace mk
