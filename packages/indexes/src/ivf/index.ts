export { IndexIVF } from './index-ivf';
export type { IndexIVFOptions, SearchParametersIVF } from './index-ivf';
export { IndexIVFFlat } from './index-ivf-flat';
export { ArrayInvertedLists, imbalanceFactorOf } from './inverted-lists';
export type { InvertedLists, InvertedListsSnapshot } from './inverted-lists';
export { DirectMap, DirectMapTypeCode, parseDirectMapType, loBuild, loListNo, loOffset } from './direct-map';
export type { DirectMapType } from './direct-map';
export { scanWithScanner, rangeScanWithScanner } from './scanner';
export type { InvertedListScanner, IVFSearchJob, IVFRangeJob } from './scanner';
