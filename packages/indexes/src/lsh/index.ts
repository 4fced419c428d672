export { IndexLSH, signBits } from './index-lsh';
export type { IndexLSHParts } from './index-lsh';
