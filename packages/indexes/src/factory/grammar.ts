/**
 * The index_factory grammar (FAISS's index_factory.cpp), parsed into a small
 * tree with the position of every token, so that errors can name the token
 * and where it is. Parsing knows nothing about which classes exist; building
 * (build.ts) does.
 *
 * Order of the rules, as in FAISS 1.7.3 (the oracle; FAISS main moved IDMap first):
 *   1. `<x>,RFlat` / `<x>,Refine(<y>)`
 *   2. leading transforms: PCA{d}, PCAW{d}, PCAR{d}, PCAWR{d}, L2norm, RR[{d}],
 *      ITQ[{d}], OPQ{M}[_{d}], Pad{d}
 *   3. `IDMap2,<x>` / `<x>,IDMap2`, `IDMap,<x>` / `<x>,IDMap`
 *   4. `Flat`, `LSH[{nbits}][r][t]`, `SQ8|SQ4|SQ6|SQfp16|SQ8_direct`, `PQ{M}[x{nbits}][np]`
 *   5. `HNSW[{M}][,_]<Flat|PQ{M}[x{nbits}]|SQ..>`
 *   6. `IVF{n}[k|M]` / `IVF{n}_HNSW[{M}]` / `IVF{n}(<quantizer>)`, then `,Flat|,PQ..|,SQ..`
 * Binary (index_binary_factory): IDMap/IDMap2 wrappers, `BFlat`, `BIVF{n}`,
 * `BIVF{n}_HNSW{M}`, `BHNSW{M}`.
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';

export type SQType = 'SQ8' | 'SQ4' | 'SQ6' | 'SQfp16' | 'SQ8_direct';
export const SQ_TYPES: readonly SQType[] = ['SQ8', 'SQ4', 'SQ6', 'SQfp16', 'SQ8_direct'];

interface At {
  /** the token as written */
  token: string;
  /** its offset in the whole description */
  pos: number;
}

export type TransformNode = At &
  (
    | { type: 'PCA'; dOut: number; whiten: boolean; rotate: boolean }
    | { type: 'L2norm' }
    | { type: 'RR'; dOut: number | null }
    | { type: 'ITQ'; dOut: number | null }
    | { type: 'OPQ'; M: number; dOut: number | null }
    | { type: 'Pad'; dOut: number }
  );

export type CodeNode = At & ({ type: 'Flat' } | { type: 'PQ'; M: number; nbits: number; polysemous: boolean } | { type: 'SQ'; qtype: SQType });

export type IndexNode = At &
  (
    | { kind: 'IDMap'; two: boolean; sub: IndexNode }
    | { kind: 'Refine'; base: IndexNode; refine: IndexNode | null }
    | { kind: 'PreTransform'; chain: TransformNode[]; sub: IndexNode }
    | { kind: 'Flat' }
    | { kind: 'LSH'; nbits: number | null; rotate: boolean; trainThresholds: boolean }
    | { kind: 'SQ'; qtype: SQType }
    | { kind: 'PQ'; M: number; nbits: number; polysemous: boolean }
    | { kind: 'HNSW'; M: number; storage: CodeNode }
    | { kind: 'IVF'; nlist: number; quantizer: QuantizerNode; code: CodeNode }
  );

export type QuantizerNode = At & ({ type: 'Flat' } | { type: 'HNSW'; M: number } | { type: 'Index'; index: IndexNode });

export type BinaryNode = At &
  (
    | { kind: 'IDMap'; two: boolean; sub: BinaryNode }
    | { kind: 'BFlat' }
    | { kind: 'BIVF'; nlist: number; hnswM: number | null }
    | { kind: 'BHNSW'; M: number }
  );

/** Thrown for a malformed or unknown token: INVALID_ARGUMENT naming it, its position and the alternatives. */
export function syntaxError(full: string, token: string, pos: number, problem: string, expected: string): MetalFaissError {
  return new MetalFaissError(
    'INVALID_ARGUMENT',
    `index_factory: ${problem} '${token}' at position ${pos} of '${full}'; expected ${expected}`,
  );
}

const TRANSFORMS_HELP = 'a transform (PCA{d}, PCAW{d}, PCAR{d}, PCAWR{d}, L2norm, RR[{d}], ITQ[{d}], OPQ{M}[_{d}], Pad{d})';
const INDEX_HELP =
  'an index: Flat, IVF{n},<code>, IVF{n}_HNSW{M},<code>, PQ{M}[x{nbits}], SQ8|SQ4|SQ6|SQfp16|SQ8_direct, HNSW{M}[,Flat|,PQ{M}|,SQ8], LSH[{nbits}][r][t]; ' +
  'optionally preceded by ' + TRANSFORMS_HELP + ' or IDMap/IDMap2, and followed by ,RFlat or ,Refine(<index>)';
const CODE_HELP = 'an IVF code: Flat, PQ{M}[x{nbits}][np], SQ8, SQ4, SQ6, SQfp16 or SQ8_direct';
const HNSW_HELP = 'an HNSW storage: Flat (or nothing), PQ{M}[np] (8-bit codes), SQ8, SQ4, SQ6, SQfp16 or SQ8_direct';

/** FAISS syntax metalfaiss does not implement, for clearer messages. */
const OUT_OF_SCOPE: Array<[RegExp, string]> = [
  [/^PQ\d+x4fs/, 'fast-scan PQ'],
  [/^PQ\d+\+\d+$/, 'IVFPQR'],
  [/^(RQ|LSQ|PRQ|PLSQ|RCQ|LSCQ)\d/, 'additive quantizers'],
  [/^RaBitQ/, 'RaBitQ'],
  [/^ZnLattice/, 'lattice quantizers'],
  [/^NSG/, 'NSG graphs'],
  [/^IVF\d+[kM]?_NSG/, 'NSG coarse quantizers'],
  [/^IMI2x\d+/, 'the multi-index quantizer'],
  [/^Residual\d/, 'Index2Layer'],
  [/^MinMax/, 'IndexRowwiseMinMax'],
  [/^FlatDedup$/, 'IndexIVFFlatDedup'],
  [/^FlatPanorama/, 'Panorama'],
  [/^SQbf16$|^SQ8_direct_signed$/, 'scalar quantizer types newer than FAISS 1.7.3'],
  [/^SH/, 'spectral hashing'],
];

function outOfScope(full: string, token: string, pos: number, context: string): MetalFaissError | null {
  for (const [re, what] of OUT_OF_SCOPE) {
    if (re.test(token)) {
      return syntaxError(full, token, pos, `${what} (FAISS syntax that metalfaiss does not implement):`, context);
    }
  }
  return null;
}

/** The first comma at parenthesis depth 0, or -1. */
function topLevelComma(s: string, from = 0): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) return i;
  }
  return -1;
}

function checkParens(full: string): void {
  let depth = 0;
  for (let i = 0; i < full.length; i++) {
    if (full[i] === '(') depth++;
    else if (full[i] === ')') {
      depth--;
      if (depth < 0) throw syntaxError(full, ')', i, 'unbalanced parenthesis', 'a matching (');
    }
  }
  if (depth !== 0) throw syntaxError(full, '(', full.lastIndexOf('('), 'unbalanced parenthesis', 'a matching )');
}

function int(s: string): number {
  return Number.parseInt(s, 10);
}

function parseNlist(s: string): number {
  const mult = s.endsWith('k') ? 1024 : s.endsWith('M') ? 1024 * 1024 : 1;
  return int(mult === 1 ? s : s.slice(0, -1)) * mult;
}

function positive(full: string, token: string, pos: number, v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw syntaxError(full, token, pos, `${what} must be a positive integer in`, `${what} >= 1`);
  return v;
}

export function parseTransform(full: string, token: string, pos: number): TransformNode | null {
  let m: RegExpExecArray | null;
  if ((m = /^PCA(W?)(R?)([0-9]+)$/.exec(token))) {
    return { type: 'PCA', dOut: positive(full, token, pos, int(m[3]), 'the PCA output dimension'), whiten: m[1] !== '', rotate: m[2] !== '', token, pos };
  }
  if (/^L2[nN]orm$/.test(token)) return { type: 'L2norm', token, pos };
  if ((m = /^RR([0-9]+)?$/.exec(token))) return { type: 'RR', dOut: m[1] ? positive(full, token, pos, int(m[1]), 'the RR output dimension') : null, token, pos };
  if ((m = /^ITQ([0-9]+)?$/.exec(token))) return { type: 'ITQ', dOut: m[1] ? positive(full, token, pos, int(m[1]), 'the ITQ output dimension') : null, token, pos };
  if ((m = /^OPQ([0-9]+)(_[0-9]+)?$/.exec(token))) {
    return {
      type: 'OPQ',
      M: positive(full, token, pos, int(m[1]), 'OPQ M'),
      dOut: m[2] ? positive(full, token, pos, int(m[2].slice(1)), 'the OPQ output dimension') : null,
      token,
      pos,
    };
  }
  if ((m = /^Pad([0-9]+)$/.exec(token))) return { type: 'Pad', dOut: positive(full, token, pos, int(m[1]), 'the padded dimension'), token, pos };
  return null;
}

function parsePQ(full: string, token: string, pos: number): { M: number; nbits: number; polysemous: boolean } | null {
  const m = /^PQ([0-9]+)(x[0-9]+)?(np)?$/.exec(token);
  if (!m) return null;
  const nbits = m[2] ? int(m[2].slice(1)) : 8;
  if (nbits < 1 || nbits > 24) throw syntaxError(full, token, pos, 'PQ nbits out of range in', 'nbits in [1, 24]');
  return { M: positive(full, token, pos, int(m[1]), 'PQ M'), nbits, polysemous: m[3] !== 'np' };
}

function parseCode(full: string, token: string, pos: number, help: string): CodeNode {
  if (token === '') throw syntaxError(full, token, pos, 'missing code', help);
  const c = topLevelComma(token);
  if (c >= 0) {
    // a valid code followed by more: name what follows
    const head = token.slice(0, c);
    parseCode(full, head, pos, help);
    throw syntaxError(
      full,
      token.slice(c + 1),
      pos + c + 1,
      `unexpected token after the code '${head}':`,
      'nothing more (IDMap/IDMap2 go first or last; a refinement goes last as ,RFlat or ,Refine(<index>) with a non-empty index)',
    );
  }
  if (token === 'Flat') return { type: 'Flat', token, pos };
  if ((SQ_TYPES as readonly string[]).includes(token)) return { type: 'SQ', qtype: token as SQType, token, pos };
  const pq = parsePQ(full, token, pos);
  if (pq) return { type: 'PQ', ...pq, token, pos };
  throw outOfScope(full, token, pos, help) ?? syntaxError(full, token, pos, 'unknown code', help);
}

/** Parses a float-index description (FAISS's index_factory_sub) into a tree. */
export function parseIndexDescription(full: string): IndexNode {
  if (typeof full !== 'string' || full.trim() === '') {
    throw new MetalFaissError('INVALID_ARGUMENT', `index_factory: expected a non-empty description string, received ${JSON.stringify(full)}`);
  }
  checkParens(full);
  return parseSub(full, full, 0);
}

function parseSub(full: string, s: string, base: number): IndexNode {
  if (s === '') throw syntaxError(full, '', base, 'missing index description', INDEX_HELP);
  let m: RegExpExecArray | null;
  // 1. refinement (FAISS 1.7.3 matches it first)
  if (s.endsWith(',RFlat') && s.length > 6) {
    return { kind: 'Refine', base: parseSub(full, s.slice(0, -6), base), refine: null, token: 'RFlat', pos: base + s.length - 5 };
  }
  if ((m = /^(.+),Refine\((.+)\)$/.exec(s))) {
    const innerPos = base + m[1].length + 8;
    return {
      kind: 'Refine',
      base: parseSub(full, m[1], base),
      refine: parseSub(full, m[2], innerPos),
      token: 'Refine',
      pos: base + m[1].length + 1,
    };
  }
  // 2. leading transforms
  const chain: TransformNode[] = [];
  let rest = s;
  let restPos = base;
  for (;;) {
    const c = topLevelComma(rest);
    if (c < 0) break;
    const t = parseTransform(full, rest.slice(0, c), restPos);
    if (!t) break;
    chain.push(t);
    rest = rest.slice(c + 1);
    restPos += c + 1;
  }
  if (chain.length > 0) {
    if (rest === '') throw syntaxError(full, '', restPos, `missing index after the transform '${chain[chain.length - 1].token}':`, INDEX_HELP);
    return { kind: 'PreTransform', chain, sub: parseSub(full, rest, restPos), token: chain[0].token, pos: chain[0].pos };
  }
  // 3. IDMap wrappers (after the transforms, as FAISS 1.7.3)
  for (const [name, two] of [['IDMap2', true], ['IDMap', false]] as const) {
    if (s.endsWith(`,${name}`) && s.length > name.length + 1) {
      return { kind: 'IDMap', two, sub: parseSub(full, s.slice(0, -(name.length + 1)), base), token: name, pos: base + s.length - name.length };
    }
    if (s.startsWith(`${name},`)) {
      return { kind: 'IDMap', two, sub: parseSub(full, s.slice(name.length + 1), base + name.length + 1), token: name, pos: base };
    }
  }
  return parseBasic(full, s, base);
}

function parseBasic(full: string, s: string, base: number): IndexNode {
  let m: RegExpExecArray | null;
  // 4. basic indexes
  if (s === 'Flat') return { kind: 'Flat', token: s, pos: base };
  if ((m = /^LSH([0-9]*)(r?)(t?)$/.exec(s))) {
    return { kind: 'LSH', nbits: m[1] ? positive(full, s, base, int(m[1]), 'LSH nbits') : null, rotate: m[2] !== '', trainThresholds: m[3] !== '', token: s, pos: base };
  }
  if ((SQ_TYPES as readonly string[]).includes(s)) return { kind: 'SQ', qtype: s as SQType, token: s, pos: base };
  const pq = /^PQ/.test(s) && !/^PQ\d+x4fs/.test(s) && !/\+/.test(s) ? parsePQ(full, s, base) : null;
  if (pq) return { kind: 'PQ', ...pq, token: s, pos: base };
  // 5. HNSW
  if ((m = /^HNSW([0-9]*)([,_].*)?$/.exec(s))) {
    const M = m[1] ? positive(full, s, base, int(m[1]), 'HNSW M') : 32;
    const code = m[2] ? m[2].slice(1) : '';
    const codePos = base + 4 + m[1].length + 1;
    const storage: CodeNode = code === '' ? { type: 'Flat', token: '', pos: codePos } : parseCode(full, code, codePos, HNSW_HELP);
    return { kind: 'HNSW', M, storage, token: s, pos: base };
  }
  // 6. IVF
  const comma = topLevelComma(s);
  const coarse = comma < 0 ? s : s.slice(0, comma);
  let quantizer: QuantizerNode | null = null;
  let nlist = 0;
  if ((m = /^IVF([0-9]+[kM]?)$/.exec(coarse))) {
    nlist = parseNlist(m[1]);
    quantizer = { type: 'Flat', token: coarse, pos: base };
  } else if ((m = /^IVF([0-9]+[kM]?)_HNSW([0-9]*)$/.exec(coarse))) {
    nlist = parseNlist(m[1]);
    quantizer = { type: 'HNSW', M: m[2] ? positive(full, coarse, base, int(m[2]), 'HNSW M') : 32, token: coarse, pos: base };
  } else if ((m = /^IVF([0-9]+[kM]?)\((.+)\)$/.exec(coarse))) {
    nlist = parseNlist(m[1]);
    const innerPos = base + coarse.indexOf('(') + 1;
    quantizer = { type: 'Index', index: parseSub(full, m[2], innerPos), token: coarse, pos: base };
  }
  if (quantizer) {
    positive(full, coarse, base, nlist, 'nlist');
    if (comma < 0) throw syntaxError(full, coarse, base, `missing code after the coarse quantizer`, `'${coarse},<code>' with <code> ${CODE_HELP}`);
    const code = parseCode(full, s.slice(comma + 1), base + comma + 1, CODE_HELP);
    return { kind: 'IVF', nlist, quantizer, code, token: coarse, pos: base };
  }
  const first = comma < 0 ? s : s.slice(0, comma);
  throw outOfScope(full, first, base, INDEX_HELP) ??
    syntaxError(full, first, base, comma < 0 ? 'unknown index' : 'unknown index or transform', INDEX_HELP);
}

const BINARY_HELP = 'a binary index: BFlat, BIVF{n}, BIVF{n}_HNSW{M}, BHNSW{M}, optionally with IDMap/IDMap2';

/** Parses an index_binary_factory description. */
export function parseBinaryDescription(full: string): BinaryNode {
  if (typeof full !== 'string' || full.trim() === '') {
    throw new MetalFaissError('INVALID_ARGUMENT', `index_binary_factory: expected a non-empty description string, received ${JSON.stringify(full)}`);
  }
  return parseBinarySub(full, full, 0);
}

function parseBinarySub(full: string, s: string, base: number): BinaryNode {
  for (const [name, two] of [['IDMap2', true], ['IDMap', false]] as const) {
    if (s.endsWith(`,${name}`) && s.length > name.length + 1) {
      return { kind: 'IDMap', two, sub: parseBinarySub(full, s.slice(0, -(name.length + 1)), base), token: name, pos: base + s.length - name.length };
    }
    if (s.startsWith(`${name},`)) {
      return { kind: 'IDMap', two, sub: parseBinarySub(full, s.slice(name.length + 1), base + name.length + 1), token: name, pos: base };
    }
  }
  let m: RegExpExecArray | null;
  if (s === 'BFlat') return { kind: 'BFlat', token: s, pos: base };
  if ((m = /^BIVF([0-9]+)_HNSW([0-9]+)$/.exec(s))) {
    return { kind: 'BIVF', nlist: positive(full, s, base, int(m[1]), 'nlist'), hnswM: positive(full, s, base, int(m[2]), 'HNSW M'), token: s, pos: base };
  }
  if ((m = /^BIVF([0-9]+)$/.exec(s))) return { kind: 'BIVF', nlist: positive(full, s, base, int(m[1]), 'nlist'), hnswM: null, token: s, pos: base };
  if ((m = /^BHNSW([0-9]+)$/.exec(s))) return { kind: 'BHNSW', M: positive(full, s, base, int(m[1]), 'HNSW M'), token: s, pos: base };
  // name the first comma-separated token that is wrong, at its position
  const tokens = s.split(',');
  let pos = base;
  let seenIndex = false;
  for (const t of tokens) {
    if (/^BHash/.test(t)) throw syntaxError(full, t, pos, 'binary hashing (FAISS syntax that metalfaiss does not implement):', BINARY_HELP);
    if (/^BIDMap2?$/.test(t)) {
      const w = t.slice(1);
      throw syntaxError(full, t, pos, 'unknown binary wrapper', `'${w},<binary index>' or '<binary index>,${w}' with ${BINARY_HELP}`);
    }
    const isIndex = /^(BFlat|BIVF[0-9]+(_HNSW[0-9]+)?|BHNSW[0-9]+)$/.test(t);
    if (isIndex && seenIndex) throw syntaxError(full, t, pos, 'a second binary index', `one binary index per description: ${BINARY_HELP}`);
    if (!isIndex && !/^IDMap2?$/.test(t)) throw syntaxError(full, t, pos, 'unknown binary index', BINARY_HELP);
    seenIndex ||= isIndex;
    pos += t.length + 1;
  }
  throw syntaxError(full, s, base, 'unknown binary index', BINARY_HELP);
}
