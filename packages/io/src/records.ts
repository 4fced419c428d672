/**
 * Plain, typed records of FAISS's binary index format: one record type per
 * fourcc, children nested, bulk data in typed arrays. A record holds exactly
 * what the file holds (field for field, in FAISS's units), so
 * read -> write reproduces a FAISS file byte for byte. Mapping records to
 * index objects is faiss-compat's job; nothing here knows about indexes.
 *
 * Conventions:
 * - Names follow FAISS's fields in camelCase (`ntotal`, `nlist`, `M`, `nbits`, `isTrained`).
 * - 64-bit sizes and counts are JS numbers (checked to be exact); ids are BigInt64Array.
 * - Vectors are row-major: `xb` of a flat index is a Float32Array of length ntotal * d.
 * - Binary vectors are bytes, d / 8 per vector; bit j of a vector is bit (j % 8) of byte j / 8.
 */

/** FAISS MetricType values that FAISS 1.7.3 knows. */
export const MetricType = {
  INNER_PRODUCT: 0,
  L2: 1,
  L1: 2,
  Linf: 3,
  Lp: 4,
  Canberra: 20,
  BrayCurtis: 21,
  JensenShannon: 22,
} as const;
export type MetricTypeValue = (typeof MetricType)[keyof typeof MetricType];

export const METRIC_NAMES: Readonly<Record<number, string>> = {
  0: 'INNER_PRODUCT',
  1: 'L2',
  2: 'L1',
  3: 'Linf',
  4: 'Lp',
  20: 'Canberra',
  21: 'BrayCurtis',
  22: 'JensenShannon',
};

/** ScalarQuantizer quantizer types known to FAISS 1.7.3. */
export const QuantizerType = {
  QT_8bit: 0,
  QT_4bit: 1,
  QT_8bit_uniform: 2,
  QT_4bit_uniform: 3,
  QT_fp16: 4,
  QT_8bit_direct: 5,
  QT_6bit: 6,
} as const;

export const QUANTIZER_TYPE_NAMES: readonly string[] = [
  'QT_8bit',
  'QT_4bit',
  'QT_8bit_uniform',
  'QT_4bit_uniform',
  'QT_fp16',
  'QT_8bit_direct',
  'QT_6bit',
];

/** ScalarQuantizer range statistics used at training time. */
export const RangeStat = { RS_minmax: 0, RS_meanstd: 1, RS_quantiles: 2, RS_optim: 3 } as const;

/** DirectMap types. */
export const DirectMapType = { NoMap: 0, Array: 1, Hashtable: 2 } as const;

// ---------------------------------------------------------------------------
// headers

/** The header every float index starts with (after its fourcc). */
export interface IndexHeader {
  /** Vector dimension (for IndexPreTransform: the input dimension). 0 <= d <= 2^20. */
  d: number;
  /** Number of stored vectors. */
  ntotal: number;
  isTrained: boolean;
  /** A MetricType value. */
  metricType: number;
  /** Metric argument; stored on disk only when metricType > 1 (0 otherwise). */
  metricArg: number;
}

/** The header every binary index starts with (after its fourcc). */
export interface BinaryIndexHeader {
  /** Dimension in bits, a positive multiple of 8. */
  d: number;
  /** Bytes per vector, d / 8 (FAISS 1.7.3 stores 0 for IndexBinaryIDMap/IDMap2; kept as stored). */
  codeSize: number;
  ntotal: number;
  isTrained: boolean;
  /** Written by FAISS as 1 (L2); meaningless for Hamming search. */
  metricType: number;
}

// ---------------------------------------------------------------------------
// building blocks (no fourcc of their own)

/** A ProductQuantizer: M sub-quantizers of 2^nbits centroids of d / M floats. */
export interface ProductQuantizerRecord {
  d: number;
  M: number;
  nbits: number;
  /** M * 2^nbits * (d / M) floats, laid out [m][ksub][dsub]. */
  centroids: Float32Array;
}

/** A ScalarQuantizer. */
export interface ScalarQuantizerRecord {
  /** A QuantizerType value (0..6). */
  qtype: number;
  /** A RangeStat value (0..3). */
  rangestat: number;
  rangestatArg: number;
  d: number;
  /** Bytes per code: d (8-bit), ceil(d/2) (4-bit), ceil(6d/8) (6-bit), 2d (fp16). */
  codeSize: number;
  /** [vmin(d), vdiff(d)] for non-uniform 4/6/8-bit, [vmin, vdiff] for uniform, empty otherwise. */
  trained: Float32Array;
}

/** The HNSW graph. */
export interface HNSWRecord {
  /** Level-assignment probabilities. */
  assignProbas: Float64Array;
  /** Cumulative neighbour slots per level: [0, 2M, 3M, 4M, ...]. */
  cumNneighborPerLevel: Int32Array;
  /** Per node: number of levels it belongs to (top level + 1). Length ntotal. */
  levels: Int32Array;
  /** ntotal + 1 entries; offsets[i + 1] = offsets[i] + cumNneighborPerLevel[levels[i]]. */
  offsets: BigUint64Array;
  /** Flat neighbour slots; -1 marks unused slots. */
  neighbors: Int32Array;
  entryPoint: number;
  maxLevel: number;
  efConstruction: number;
  efSearch: number;
  /** Legacy field (FAISS 1.7.3 writes 1). */
  upperBeam: number;
}

/**
 * A DirectMap (id -> list position). `array` holds list_no << 32 | offset per
 * vector for type Array; `hashtable` holds flattened (id, list_no << 32 | offset)
 * pairs for type Hashtable (empty otherwise).
 */
export interface DirectMapRecord {
  /** A DirectMapType value. */
  type: number;
  array: BigInt64Array;
  hashtable: BigInt64Array;
}

/** One inverted list: `ids.length` codes of `codeSize` bytes each. */
export interface InvertedList {
  codes: Uint8Array;
  ids: BigInt64Array;
}

/** ArrayInvertedLists (`ilar`). FAISS stores it as "full" or "sprs" sizes; the writer picks as FAISS does. */
export interface ArrayInvertedListsRecord {
  fourcc: 'ilar';
  nlist: number;
  codeSize: number;
  /** nlist lists. */
  lists: InvertedList[];
}

/** `il00`: the IVF index was written without its inverted lists. */
export interface NullInvertedListsRecord {
  fourcc: 'il00';
}

export type InvertedListsRecord = ArrayInvertedListsRecord | NullInvertedListsRecord;

// ---------------------------------------------------------------------------
// vector transforms

interface VectorTransformCommon {
  dIn: number;
  dOut: number;
  isTrained: boolean;
}

interface LinearTransformFields {
  haveBias: boolean;
  /** dOut x dIn, row-major (empty if never initialised). */
  A: Float32Array;
  /** dOut floats, or empty. */
  b: Float32Array;
}

/** `LTra` (LinearTransform, also OPQMatrix) and `rrot` (RandomRotationMatrix). y = A x (+ b). */
export interface LinearTransformRecord extends VectorTransformCommon, LinearTransformFields {
  fourcc: 'LTra' | 'rrot';
}

/** PCAMatrix: `Pcam` (current), `PcAm` (legacy: no epsilon), `PCAm` (legacy: no epsilon, no balancedBins). */
export interface PCAMatrixRecord extends VectorTransformCommon, LinearTransformFields {
  fourcc: 'Pcam' | 'PcAm' | 'PCAm';
  eigenPower: number;
  /** Not stored for PcAm/PCAm (0). */
  epsilon: number;
  randomRotation: boolean;
  /** Not stored for PCAm (0). */
  balancedBins: number;
  mean: Float32Array;
  eigenvalues: Float32Array;
  PCAMat: Float32Array;
}

/** ITQMatrix (`Viqm`). */
export interface ITQMatrixRecord extends VectorTransformCommon, LinearTransformFields {
  fourcc: 'Viqm';
  maxIter: number;
  seed: number;
}

export type LinearFamilyRecord = LinearTransformRecord | PCAMatrixRecord | ITQMatrixRecord;

/** ITQTransform (`Viqt`): y = pcaThenItq(normalize(x - mean)). */
export interface ITQTransformRecord extends VectorTransformCommon {
  fourcc: 'Viqt';
  mean: Float32Array;
  doPca: boolean;
  itq: ITQMatrixRecord;
  pcaThenItq: LinearFamilyRecord;
}

/** NormalizationTransform (`VNrm`): rescales to unit `norm`-norm (2 = L2). */
export interface NormalizationTransformRecord extends VectorTransformCommon {
  fourcc: 'VNrm';
  norm: number;
}

/** CenteringTransform (`VCnt`): y = x - mean. */
export interface CenteringTransformRecord extends VectorTransformCommon {
  fourcc: 'VCnt';
  mean: Float32Array;
}

/** RemapDimensionsTransform (`RmDT`): y[i] = map[i] >= 0 ? x[map[i]] : 0. */
export interface RemapDimensionsTransformRecord extends VectorTransformCommon {
  fourcc: 'RmDT';
  map: Int32Array;
}

export type VectorTransformRecord =
  | LinearFamilyRecord
  | ITQTransformRecord
  | NormalizationTransformRecord
  | CenteringTransformRecord
  | RemapDimensionsTransformRecord;

// ---------------------------------------------------------------------------
// float indexes

/** IndexFlat: `IxF2` (L2), `IxFI` (inner product), `IxFl` (any other metric). */
export interface IndexFlatRecord {
  fourcc: 'IxF2' | 'IxFI' | 'IxFl';
  header: IndexHeader;
  /** ntotal * d floats, row-major. */
  xb: Float32Array;
}

/** IndexPQ, current (`IxPq`) and legacy-with-search-params (`IxPo`) forms. FAISS treats IxPo as L2 whatever the stored metric. */
export interface IndexPQRecord {
  fourcc: 'IxPq' | 'IxPo';
  header: IndexHeader;
  pq: ProductQuantizerRecord;
  /** ntotal * ceil(M * nbits / 8) bytes. */
  codes: Uint8Array;
  /** IndexPQ::Search_type_t (0 = ST_PQ). */
  searchType: number;
  encodeSigns: boolean;
  polysemousHt: number;
}

/** Legacy IndexPQ (`IxPQ`, read-only in FAISS): no search params; FAISS treats it as L2. */
export interface IndexPQLegacyRecord {
  fourcc: 'IxPQ';
  header: IndexHeader;
  pq: ProductQuantizerRecord;
  codes: Uint8Array;
}

/** IndexScalarQuantizer (`IxSQ`). */
export interface IndexScalarQuantizerRecord {
  fourcc: 'IxSQ';
  header: IndexHeader;
  sq: ScalarQuantizerRecord;
  /** ntotal * sq.codeSize bytes. */
  codes: Uint8Array;
}

/** IndexLSH: `IxHe` (current), `IxHE` (legacy: code size counted in 64-bit words on disk). */
export interface IndexLSHRecord {
  fourcc: 'IxHe' | 'IxHE';
  header: IndexHeader;
  nbits: number;
  rotateData: boolean;
  trainThresholds: boolean;
  /** nbits floats, or empty. */
  thresholds: Float32Array;
  /** Bytes per code, ceil(nbits / 8) (the record always holds bytes, whatever the fourcc). */
  codeSize: number;
  /** Always a RandomRotationMatrix (untrained with empty A when rotateData is false). */
  rrot: LinearTransformRecord;
  codes: Uint8Array;
}

interface IVFCommon {
  header: IndexHeader;
  nlist: number;
  /** nprobe at write time (FAISS's default nprobe after reading). */
  nprobe: number;
  /** Coarse quantizer (normally a flat index of nlist centroids). */
  quantizer: IndexRecord;
  directMap: DirectMapRecord;
  /** Legacy `Iv..` forms require `ilar` lists. */
  invlists: InvertedListsRecord;
}

/** IndexIVFFlat: `IwFl` (current), legacy `IvFL` (codes as bytes) and `IvFl` (codes as floats). Codes are raw float32 vectors. */
export interface IndexIVFFlatRecord extends IVFCommon {
  fourcc: 'IwFl' | 'IvFL' | 'IvFl';
}

/** IndexIVFFlatDedup (`IwFd`). */
export interface IndexIVFFlatDedupRecord extends IVFCommon {
  fourcc: 'IwFd';
  /** Flattened (id, id) pairs: the duplicates and the vector they duplicate. */
  instances: BigInt64Array;
}

/** IndexIVFPQ: `IwPQ` (current) and legacy `IvPQ`. */
export interface IndexIVFPQRecord extends IVFCommon {
  fourcc: 'IwPQ' | 'IvPQ';
  byResidual: boolean;
  codeSize: number;
  pq: ProductQuantizerRecord;
}

/** IndexIVFScalarQuantizer: `IwSq` (current), legacy `IwSQ` (no byResidual on disk; implies true) and `IvSQ`. */
export interface IndexIVFScalarQuantizerRecord extends IVFCommon {
  fourcc: 'IwSq' | 'IwSQ' | 'IvSQ';
  sq: ScalarQuantizerRecord;
  codeSize: number;
  /** Must be true for the legacy forms. */
  byResidual: boolean;
}

/** IndexHNSW over flat (`IHNf`), PQ (`IHNp`) or SQ (`IHNs`) storage. */
export interface IndexHNSWRecord {
  fourcc: 'IHNf' | 'IHNp' | 'IHNs';
  header: IndexHeader;
  hnsw: HNSWRecord;
  /** IHNf: a flat index; IHNp: an IndexPQ; IHNs: an IndexScalarQuantizer. */
  storage: IndexRecord;
}

/** IndexIDMap (`IxMp`) and IndexIDMap2 (`IxM2`): inner label i maps to idMap[i]. */
export interface IndexIDMapRecord {
  fourcc: 'IxMp' | 'IxM2';
  header: IndexHeader;
  index: IndexRecord;
  /** ntotal ids. */
  idMap: BigInt64Array;
}

/** IndexPreTransform (`IxPT`): the chain is applied in order, then `index` (whose d is the last dOut). */
export interface IndexPreTransformRecord {
  fourcc: 'IxPT';
  header: IndexHeader;
  chain: VectorTransformRecord[];
  index: IndexRecord;
}

/** IndexRefine / IndexRefineFlat (`IxRF`; FAISS makes it a RefineFlat when `refine` is a flat index). */
export interface IndexRefineRecord {
  fourcc: 'IxRF';
  header: IndexHeader;
  base: IndexRecord;
  refine: IndexRecord;
  kFactor: number;
}

export type IndexRecord =
  | IndexFlatRecord
  | IndexPQRecord
  | IndexPQLegacyRecord
  | IndexScalarQuantizerRecord
  | IndexLSHRecord
  | IndexIVFFlatRecord
  | IndexIVFFlatDedupRecord
  | IndexIVFPQRecord
  | IndexIVFScalarQuantizerRecord
  | IndexHNSWRecord
  | IndexIDMapRecord
  | IndexPreTransformRecord
  | IndexRefineRecord;

// ---------------------------------------------------------------------------
// binary indexes

/** IndexBinaryFlat (`IBxF`). */
export interface IndexBinaryFlatRecord {
  fourcc: 'IBxF';
  header: BinaryIndexHeader;
  /** ntotal * codeSize bytes. */
  xb: Uint8Array;
}

/** IndexBinaryIVF (`IBwF`). */
export interface IndexBinaryIVFRecord {
  fourcc: 'IBwF';
  header: BinaryIndexHeader;
  nlist: number;
  nprobe: number;
  quantizer: BinaryIndexRecord;
  directMap: DirectMapRecord;
  invlists: InvertedListsRecord;
}

/** IndexBinaryHNSW (`IBHf`). */
export interface IndexBinaryHNSWRecord {
  fourcc: 'IBHf';
  header: BinaryIndexHeader;
  hnsw: HNSWRecord;
  /** An IndexBinaryFlat. */
  storage: BinaryIndexRecord;
}

/** IndexBinaryIDMap (`IBMp`) and IndexBinaryIDMap2 (`IBM2`). */
export interface IndexBinaryIDMapRecord {
  fourcc: 'IBMp' | 'IBM2';
  header: BinaryIndexHeader;
  index: BinaryIndexRecord;
  idMap: BigInt64Array;
}

export type BinaryIndexRecord =
  | IndexBinaryFlatRecord
  | IndexBinaryIVFRecord
  | IndexBinaryHNSWRecord
  | IndexBinaryIDMapRecord;

export type AnyIndexRecord = IndexRecord | BinaryIndexRecord;

/**
 * The record type for a fourcc, e.g. `RecordOf<'IwPQ'>` is IndexIVFPQRecord
 * and `RecordOf<'IxPo'>` is IndexPQRecord (a record type whose fourcc union
 * contains the given code).
 */
export type RecordOf<F extends AnyIndexRecord['fourcc']> = AnyIndexRecord extends infer U
  ? U extends { fourcc: infer G }
    ? [Extract<G, F>] extends [never]
      ? never
      : U
    : never
  : never;
