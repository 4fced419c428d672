// The generic integer dot kernels (included by hnsw-generic.cc inside its
// anonymous namespace): scalar, exact.
int64_t idot(const uint8_t* a, const uint8_t* b, int64_t d, uint8_t xa, uint8_t xb) { return idot_scalar(a, b, d, xa, xb); }
void idot4(const uint8_t* a, const uint8_t* const* b, int64_t d, uint8_t xa, uint8_t xb, int64_t* out) {
  for (int t = 0; t < 4; t++) out[t] = idot_scalar(a, b[t], d, xa, xb);
}
