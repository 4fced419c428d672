export { MetalFaissError, invalidArgument, describeValue } from '@metalfaiss/metal-kernels';
export type { MetalFaissErrorCode } from '@metalfaiss/metal-kernels';
