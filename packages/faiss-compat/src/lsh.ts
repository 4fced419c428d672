/**
 * FAISS's IndexLSH under its Python name, and the io mapping of `IxHe` /
 * `IxHE` records (the random rotation travels in the file, so a FAISS index
 * read here encodes exactly as FAISS does).
 */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { Index } from './base';
import { RandomRotationMatrix, wrapTransform } from './transforms';
import { checkMetric, headerOf, registerMapping } from './io/registry';
import { registerWrapper } from './wrap';

export class IndexLSH extends Index<ix.IndexLSH> {
  /** `faiss.IndexLSH(d, nbits, rotate_data=True, train_thresholds=False)` */
  constructor(d: number, nbits: number, rotate_data = true, train_thresholds = false) {
    super(new ix.IndexLSH(d, nbits, rotate_data, train_thresholds));
  }
  get nbits(): number {
    return this.impl.nbits;
  }
  get rotate_data(): boolean {
    return this.impl.rotateData;
  }
  get train_thresholds(): boolean {
    return this.impl.trainThresholds;
  }
  get code_size(): number {
    return this.impl.codeSize;
  }
  get thresholds(): Float32Array {
    return this.impl.thresholds;
  }
  /** the random rotation (`index.rrot`) */
  get rrot(): RandomRotationMatrix {
    return wrapTransform(this.impl.rrot) as RandomRotationMatrix;
  }
  /** the stored codes (`faiss.vector_to_array(index.codes)`) */
  get codes(): Uint8Array {
    return this.impl.codes;
  }
  sa_encode(x: Float32Array): Uint8Array {
    return this.impl.saEncode(x);
  }
  sa_decode(codes: Uint8Array): Float32Array {
    return this.impl.saDecode(codes);
  }
}

registerWrapper(ix.IndexLSH, IndexLSH);

function ioError(fourcc: string, what: string, cause?: unknown): MetalFaissError {
  return new MetalFaissError('IO_FORMAT', `invalid ${fourcc} index in the file: ${what}`, cause === undefined ? undefined : { cause });
}

registerMapping({
  name: 'IndexLSH',
  fourccs: ['IxHe', 'IxHE'],
  fromRecord(record) {
    const r = record as io.IndexLSHRecord;
    checkMetric(r.header, r.fourcc);
    const d = r.header.d;
    if (r.codeSize !== (r.nbits + 7) >> 3) throw ioError(r.fourcc, `code_size = ${r.codeSize}, expected ceil(nbits / 8) = ${(r.nbits + 7) >> 3}`);
    if (r.codes.length !== r.header.ntotal * r.codeSize) throw ioError(r.fourcc, `codes hold ${r.codes.length} bytes, expected ntotal * code_size = ${r.header.ntotal * r.codeSize}`);
    if (r.rrot.dIn !== d || r.rrot.dOut !== r.nbits) throw ioError(r.fourcc, `the rotation is ${r.rrot.dOut} x ${r.rrot.dIn}, expected nbits x d = ${r.nbits} x ${d}`);
    try {
      return ix.IndexLSH.fromParts({
        d,
        nbits: r.nbits,
        rotateData: r.rotateData,
        trainThresholds: r.trainThresholds,
        thresholds: r.thresholds,
        rotation: r.rrot.A,
        codes: r.codes,
        isTrained: r.header.isTrained,
      });
    } catch (cause) {
      if (MetalFaissError.isInstance(cause) && cause.code === 'IO_FORMAT') throw cause;
      throw ioError(r.fourcc, (cause as Error).message, cause);
    }
  },
  writes: (index) => index instanceof ix.IndexLSH,
  toRecord(index) {
    const l = index as ix.IndexLSH;
    const p = l.toParts();
    const rotTrained = p.rotation.length > 0;
    return {
      fourcc: 'IxHe',
      header: headerOf(l),
      nbits: p.nbits,
      rotateData: p.rotateData,
      trainThresholds: p.trainThresholds,
      thresholds: p.thresholds,
      codeSize: l.codeSize,
      rrot: {
        fourcc: 'rrot',
        dIn: p.d,
        dOut: p.nbits,
        isTrained: rotTrained,
        haveBias: false,
        A: p.rotation,
        b: new Float32Array(0),
      } as io.LinearTransformRecord,
      codes: p.codes,
    } satisfies io.IndexLSHRecord;
  },
});
