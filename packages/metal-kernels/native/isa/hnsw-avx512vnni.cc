// HNSW distance kernels, AVX-512 + VNNI. Compiled with -march=x86-64-v4
// -mavx512vnni; picked in hnsw.cc when the CPU reports avx512vnni.
#define MK_HNSW_ACCESSOR hnsw_isa_avx512vnni
#define MK_HNSW_NAME "avx512"
#include "hnsw-avx512-body.h"
