export { indexFactory, indexBinaryFactory } from './build';
export { parseIndexDescription, parseBinaryDescription, parseTransform, SQ_TYPES } from './grammar';
export type { IndexNode, BinaryNode, TransformNode, CodeNode, QuantizerNode, SQType } from './grammar';
