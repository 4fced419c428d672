// Picks the SIMD variant of the hot loops once, at load time, from what the
// CPU supports; METALFAISS_SIMD (through setSimd) may force a lower level.
#pragma once
#include <string>
#include <vector>

#include "isa/isa.h"

namespace mk {

// The kernels every call uses (read once at the start of a call).
const IsaKernels* current_isa();
// Levels this CPU supports, best first, e.g. {"avx512", "avx2", "scalar"}.
std::vector<std::string> supported_levels();
// Selects a supported level by name; throws std::invalid_argument otherwise.
void select_level(const std::string& name);

}  // namespace mk
