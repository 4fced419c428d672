/**
 * @metalfaiss/io — FAISS's binary index format as plain, typed records.
 *
 * Reads what FAISS's `read_index` / `read_index_binary` read and writes what
 * `write_index` / `write_index_binary` write, byte for byte, for the float
 * and binary index types in metalfaiss's scope. Imports no other metalfaiss
 * package. Every failure is a MetalFaissError: IO_FORMAT for bad data (with
 * the field, fourcc path and byte offset), UNSUPPORTED for valid FAISS types
 * outside the scope, INVALID_ARGUMENT for bad arguments and bad records.
 */
export { MetalFaissError, invalidArgument, describeValue } from './errors';
export type { MetalFaissErrorCode } from './errors';
export {
  readIndex,
  readIndexBinary,
  readIndexAsync,
  readIndexBinaryAsync,
  readIndexFromStream,
  readIndexBinaryFromStream,
  writeIndex,
  writeIndexBinary,
  writeIndexToFile,
  writeIndexBinaryToFile,
  writeIndexToFileAsync,
  writeIndexBinaryToFileAsync,
  writeIndexToStream,
  writeIndexBinaryToStream,
  encodeIndex,
  encodeIndexBinary,
} from './api';
export type { IndexSource, ReadOptions, StreamReadOptions, FileWriteOptions } from './api';
export { describeRecord, formatDescription } from './describe';
export type { RecordDescription, DescriptionValue } from './describe';
export {
  fourccToU32,
  u32ToFourcc,
  FLOAT_INDEX_FOURCCS,
  BINARY_INDEX_FOURCCS,
  VECTOR_TRANSFORM_FOURCCS,
  OUT_OF_SCOPE_FLOAT_FOURCCS,
  OUT_OF_SCOPE_BINARY_FOURCCS,
  OUT_OF_SCOPE_INVLISTS_FOURCCS,
  CLASS_NAMES,
} from './fourcc';
export { MAX_NESTING_DEPTH } from './cursor';
export { MetricType, METRIC_NAMES, QuantizerType, QUANTIZER_TYPE_NAMES, RangeStat, DirectMapType } from './records';
export { pqCodeSize, sqCodeSize, sqTrainedLength, MAX_D } from './codec/blocks';
export type {
  AnyIndexRecord,
  RecordOf,
  IndexRecord,
  BinaryIndexRecord,
  IndexHeader,
  BinaryIndexHeader,
  MetricTypeValue,
  ProductQuantizerRecord,
  ScalarQuantizerRecord,
  HNSWRecord,
  DirectMapRecord,
  InvertedList,
  ArrayInvertedListsRecord,
  NullInvertedListsRecord,
  InvertedListsRecord,
  LinearTransformRecord,
  PCAMatrixRecord,
  ITQMatrixRecord,
  LinearFamilyRecord,
  ITQTransformRecord,
  NormalizationTransformRecord,
  CenteringTransformRecord,
  RemapDimensionsTransformRecord,
  VectorTransformRecord,
  IndexFlatRecord,
  IndexPQRecord,
  IndexPQLegacyRecord,
  IndexScalarQuantizerRecord,
  IndexLSHRecord,
  IndexIVFFlatRecord,
  IndexIVFFlatDedupRecord,
  IndexIVFPQRecord,
  IndexIVFScalarQuantizerRecord,
  IndexHNSWRecord,
  IndexIDMapRecord,
  IndexPreTransformRecord,
  IndexRefineRecord,
  IndexBinaryFlatRecord,
  IndexBinaryIVFRecord,
  IndexBinaryHNSWRecord,
  IndexBinaryIDMapRecord,
} from './records';
