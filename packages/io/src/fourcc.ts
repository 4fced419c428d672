/**
 * Four-character codes. FAISS tags every object on disk with four ASCII
 * bytes ("IxF2" is stored as the bytes I, x, F, 2), which it packs as a
 * little-endian u32. Case matters: `IxPq` and `IxPQ` are different formats.
 */

/** Packs four ASCII characters into the u32 FAISS compares against. */
export function fourccToU32(code: string): number {
  if (code.length !== 4) throw new RangeError(`fourcc must have 4 characters, got ${JSON.stringify(code)}`);
  return (
    (code.charCodeAt(0) | (code.charCodeAt(1) << 8) | (code.charCodeAt(2) << 16) | (code.charCodeAt(3) << 24)) >>> 0
  );
}

/**
 * Renders a u32 as its four characters when they are printable ASCII, and as
 * hex otherwise (for error messages about unknown or corrupt codes).
 */
export function printableFourcc(value: number): string {
  let text = '';
  for (let i = 0; i < 4; i++) {
    const c = (value >>> (8 * i)) & 0xff;
    if (c < 0x20 || c > 0x7e) return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
    text += String.fromCharCode(c);
  }
  return JSON.stringify(text);
}

/** Decodes a u32 to its four characters (no printability check). */
export function u32ToFourcc(value: number): string {
  return String.fromCharCode(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}

/** Float index fourccs this package reads and writes. */
export const FLOAT_INDEX_FOURCCS = [
  'IxF2', 'IxFI', 'IxFl',
  'IxPq', 'IxPQ', 'IxPo',
  'IxSQ',
  'IxHe', 'IxHE',
  'IwFl', 'IvFL', 'IvFl', 'IwFd',
  'IwPQ', 'IvPQ',
  'IwSq', 'IwSQ', 'IvSQ',
  'IHNf', 'IHNp', 'IHNs',
  'IxMp', 'IxM2',
  'IxPT',
  'IxRF',
] as const;

/** Binary index fourccs this package reads and writes. */
export const BINARY_INDEX_FOURCCS = ['IBxF', 'IBwF', 'IBHf', 'IBMp', 'IBM2'] as const;

/** VectorTransform fourccs this package reads and writes. */
export const VECTOR_TRANSFORM_FOURCCS = [
  'LTra', 'rrot', 'Pcam', 'PcAm', 'PCAm', 'Viqm', 'Viqt', 'VNrm', 'VCnt', 'RmDT',
] as const;

/**
 * Fourccs that FAISS 1.7.3 reads or writes but that are outside this
 * project's scope. Reading one throws UNSUPPORTED naming it, which tells the
 * user the file is valid FAISS but not handled here (as opposed to IO_FORMAT
 * for codes FAISS 1.7.3 itself does not know).
 */
export const OUT_OF_SCOPE_FLOAT_FOURCCS: Readonly<Record<string, string>> = {
  IxRQ: 'IndexResidualQuantizer (legacy)',
  IxRq: 'IndexResidualQuantizer',
  IxLS: 'IndexLocalSearchQuantizer',
  IxPR: 'IndexProductResidualQuantizer',
  IxPL: 'IndexProductLocalSearchQuantizer',
  ImRQ: 'ResidualCoarseQuantizer',
  ILfs: 'IndexLocalSearchQuantizerFastScan',
  IRfs: 'IndexResidualQuantizerFastScan',
  IPRf: 'IndexProductResidualQuantizerFastScan',
  IPLf: 'IndexProductLocalSearchQuantizerFastScan',
  IVLf: 'IndexIVFLocalSearchQuantizerFastScan',
  IVRf: 'IndexIVFResidualQuantizerFastScan',
  NPLf: 'IndexIVFProductLocalSearchQuantizerFastScan',
  NPRf: 'IndexIVFProductResidualQuantizerFastScan',
  IxLa: 'IndexLattice',
  IwLS: 'IndexIVFLocalSearchQuantizer',
  IwRQ: 'IndexIVFResidualQuantizer',
  IwPL: 'IndexIVFProductLocalSearchQuantizer',
  IwPR: 'IndexIVFProductResidualQuantizer',
  IwSh: 'IndexIVFSpectralHash',
  IvQR: 'IndexIVFPQR (legacy)',
  IwQR: 'IndexIVFPQR',
  Imiq: 'MultiIndexQuantizer',
  Ix2L: 'Index2Layer',
  IHN2: 'IndexHNSW2Level',
  INSf: 'IndexNSGFlat',
  INSp: 'IndexNSGPQ',
  INSs: 'IndexNSGSQ',
  INNf: 'IndexNNDescentFlat',
  IPfs: 'IndexPQFastScan',
  IwPf: 'IndexIVFPQFastScan',
  IRMf: 'IndexRowwiseMinMax',
  IRMh: 'IndexRowwiseMinMaxFP16',
};

/** Binary-index fourccs FAISS 1.7.3 knows that are outside this project's scope. */
export const OUT_OF_SCOPE_BINARY_FOURCCS: Readonly<Record<string, string>> = {
  IBFf: 'IndexBinaryFromFloat',
  IBHh: 'IndexBinaryHash',
  IBHm: 'IndexBinaryMultiHash',
};

/** Inverted-list fourccs FAISS 1.7.3 reads through its IO hooks that are outside this project's scope. */
export const OUT_OF_SCOPE_INVLISTS_FOURCCS: Readonly<Record<string, string>> = {
  ilod: 'OnDiskInvertedLists',
  ilbl: 'BlockInvertedLists',
};

/** FAISS class names, for descriptions and messages. */
export const CLASS_NAMES: Readonly<Record<string, string>> = {
  IxF2: 'IndexFlatL2',
  IxFI: 'IndexFlatIP',
  IxFl: 'IndexFlat',
  IxPq: 'IndexPQ',
  IxPQ: 'IndexPQ (legacy IxPQ)',
  IxPo: 'IndexPQ (legacy IxPo)',
  IxSQ: 'IndexScalarQuantizer',
  IxHe: 'IndexLSH',
  IxHE: 'IndexLSH (legacy IxHE)',
  IwFl: 'IndexIVFFlat',
  IvFL: 'IndexIVFFlat (legacy IvFL)',
  IvFl: 'IndexIVFFlat (legacy IvFl)',
  IwFd: 'IndexIVFFlatDedup',
  IwPQ: 'IndexIVFPQ',
  IvPQ: 'IndexIVFPQ (legacy IvPQ)',
  IwSq: 'IndexIVFScalarQuantizer',
  IwSQ: 'IndexIVFScalarQuantizer (legacy IwSQ)',
  IvSQ: 'IndexIVFScalarQuantizer (legacy IvSQ)',
  IHNf: 'IndexHNSWFlat',
  IHNp: 'IndexHNSWPQ',
  IHNs: 'IndexHNSWSQ',
  IxMp: 'IndexIDMap',
  IxM2: 'IndexIDMap2',
  IxPT: 'IndexPreTransform',
  IxRF: 'IndexRefine',
  IBxF: 'IndexBinaryFlat',
  IBwF: 'IndexBinaryIVF',
  IBHf: 'IndexBinaryHNSW',
  IBMp: 'IndexBinaryIDMap',
  IBM2: 'IndexBinaryIDMap2',
  LTra: 'LinearTransform',
  rrot: 'RandomRotationMatrix',
  Pcam: 'PCAMatrix',
  PcAm: 'PCAMatrix (legacy PcAm)',
  PCAm: 'PCAMatrix (legacy PCAm)',
  Viqm: 'ITQMatrix',
  Viqt: 'ITQTransform',
  VNrm: 'NormalizationTransform',
  VCnt: 'CenteringTransform',
  RmDT: 'RemapDimensionsTransform',
  ilar: 'ArrayInvertedLists',
  il00: 'no inverted lists',
};
