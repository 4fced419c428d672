export { ScalarQuantizer, QuantizerType, RangeStat, parseQuantizerType } from './scalar-quantizer';
export type { ScalarQuantizerOptions } from './scalar-quantizer';
export { IndexFlatCodes } from './flat-codes';
export { IndexScalarQuantizer } from './index-scalar-quantizer';
export type { IndexScalarQuantizerOptions } from './index-scalar-quantizer';
export type { QuantizerOptions, QuantizerProgress } from './options';
