export { ProductQuantizer, checkPqShape } from './product-quantizer';
export { IndexPQ, SearchType } from './index-pq';
export type { SearchParametersPQ } from './index-pq';
