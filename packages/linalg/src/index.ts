export { Matrix, asMatrix, assertFinite } from './matrix';
export type { VectorsInput, AsMatrixOptions } from './matrix';
export { rowNormsSqr, rowNorms, normalizeL2, innerProducts, innerProductsAsync, l2SqrDistances, matmul } from './ops';
