// HNSW graph walks and insertion over graph arrays the caller owns, laid out
// exactly as FAISS lays out its HNSW struct (impl/HNSW.h):
//
//   levels[i]     number of levels node i belongs to (its top level + 1)
//   offsets[i]    first neighbour slot of node i (ntotal + 1 entries)
//   cum[l]        cumulative slots per level: [0, 2M, 3M, ...] (level 0 has 2M)
//   neighbors     node i's neighbours at level l are
//                 neighbors[offsets[i] + cum[l] .. offsets[i] + cum[l + 1]),
//                 unused slots hold -1 (a list ends at its first -1)
//
// The algorithms follow FAISS 1.7.3 step for step (greedy descent on the
// upper levels, search_from_candidates with its MinimaxHeap at level 0,
// add_with_locks / add_links_starting_from / shrink_neighbor_list for
// insertion), so that on the same graph and with the same distances they
// visit the same nodes and return the same results, and a one-thread build
// produces FAISS's one-thread graph.
//
// Distances are "smaller is better": squared L2, negated inner product,
// Hamming distance (as floats), PQ / SQ approximations of the former two.
//
// Nothing here allocates the graph: insertion writes into the arrays given.
// The bindings validate every array size and index range first.
#pragma once
#include <cstdint>
#include <vector>

namespace mk {

struct HnswGraph {
  const int32_t* levels;   // ntotal (nodes being inserted included)
  const int64_t* offsets;  // ntotal + 1
  int32_t* neighbors;      // offsets[ntotal] slots
  // Optional (flat storage only): the distance of each edge, slot for slot
  // with `neighbors`; NaN = not known yet. Lets insertion skip recomputing
  // distances FAISS recomputes; the values are the ones it would compute.
  float* edge_distances;
  const int32_t* cum;  // ncum entries
  int32_t ncum;
  int64_t ntotal;
  int32_t entry_point;  // -1 for an empty graph
  int32_t max_level;
};

enum : int { kHnswFlat = 0, kHnswBinary = 1, kHnswPQ = 2, kHnswSQ = 3 };

// FAISS's ScalarQuantizer qtype codes.
enum : int {
  kSQ8bit = 0,
  kSQ4bit = 1,
  kSQ8bitUniform = 2,
  kSQ4bitUniform = 3,
  kSQfp16 = 4,
  kSQ8bitDirect = 5,
  kSQ6bit = 6,
};

struct HnswStorage {
  int kind;
  int metric;  // 0 inner product, 1 L2 (ignored for binary)
  int64_t d;   // dimension (binary: bits)
  const float* xb;       // flat: ntotal * d floats
  // flat, optional: the same values as uint8 / int8 (compact_type kElemU8 /
  // kElemI8 of isa/hnsw-isa.h), read instead of xb by every distance
  const void* xb_compact;
  int compact_type;
  // optional, with xb_compact: per vector the exact sum of squares and sum
  // of its values; together they enable exact integer distances for
  // integer-valued queries (d <= 2^15)
  const int32_t* compact_norms;
  const int32_t* compact_sums;
  const uint8_t* codes;  // binary / pq / sq: ntotal * code_size bytes
  int64_t code_size;
  // PQ (8 bits per sub-quantizer): centroids [m][256][d / m]
  const float* pq_centroids;
  int64_t pq_m;
  // SQ: qtype and trained values ([vmin(d), vdiff(d)], or [vmin, vdiff])
  int sq_type;
  const float* sq_trained;
  int64_t sq_trained_size;
};

struct HnswSearchParams {
  int64_t k;
  int32_t ef_search;
  bool bounded_queue;            // FAISS's search_bounded_queue
  bool check_relative_distance;  // FAISS's check_relative_distance
  const uint8_t* filter;         // optional: ntotal bytes, non-zero = may be returned
};

// Queries: nq rows of d floats (binary: nq codes). Outputs nq * k, best
// first by (distance, label); padding +inf (-inf for inner product) / -1.
// Inner-product distances come back as similarities (not negated).
void hnsw_search(const HnswGraph& g, const HnswStorage& s, const void* xq, int64_t nq, const HnswSearchParams& p,
                 float* distances, int64_t* labels);

struct HnswRangeResult {
  std::vector<int64_t> lims;  // nq + 1
  std::vector<float> distances;
  std::vector<int64_t> labels;
};

// Every node the level-0 walk (efSearch as in search) meets within the radius
// (L2: distance < radius; inner product: similarity > radius), in the order
// met, as FAISS's IndexHNSW::range_search.
HnswRangeResult hnsw_range_search(const HnswGraph& g, const HnswStorage& s, const void* xq, int64_t nq,
                                  const HnswSearchParams& p, float radius);

struct HnswAddParams {
  // The inserted vectors as given by the caller (their storage copies may be
  // lossy: PQ / SQ insert with the original floats as FAISS does): node
  // n0 + i is row i (floats of d, or codes for binary).
  const void* x;
  int64_t n0;
  // Node ids to insert, grouped by level from the highest down (FAISS's
  // bucket order, shuffled within a level), each id in [n0, ntotal).
  const int32_t* order;
  int64_t count;
  int32_t ef_construction;
};

// Inserts the nodes of `order` (levels, offsets and -1 filled slots already
// in place for them); runs of more than 100 same-level nodes are inserted in
// parallel with per-node locks, as FAISS does. Updates g.entry_point and
// g.max_level.
void hnsw_add(HnswGraph& g, const HnswStorage& s, const HnswAddParams& p);

}  // namespace mk
