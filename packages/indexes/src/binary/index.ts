export { IndexBinary, asCodes, checkBinaryDimension, checkHammingRadius, HAMMING_PAD_DISTANCE } from './index-binary';
export type { BinarySearchResult, BinaryRangeSearchResult, BinarySearchParameters, CodesInput } from './index-binary';
export { IndexBinaryFlat } from './index-binary-flat';
export { IndexBinaryHNSW, BinaryStore } from './index-binary-hnsw';
export type { IndexBinaryHNSWParts } from './index-binary-hnsw';
export { IndexBinaryIDMap, IndexBinaryIDMap2 } from './idmap';
export { IndexBinaryIVF, binaryToReal, realToBinary } from './index-binary-ivf';
export type { SearchParametersBinaryIVF, IndexBinaryIVFParts } from './index-binary-ivf';
