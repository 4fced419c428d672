// HNSW distance kernels, AVX-512 (x86-64-v4). Compiled with -march=x86-64-v4;
// only reached when the CPU supports it (picked in hnsw.cc).
#define MK_HNSW_ACCESSOR hnsw_isa_avx512
#define MK_HNSW_NAME "avx512"
#include "hnsw-avx512-body.h"
