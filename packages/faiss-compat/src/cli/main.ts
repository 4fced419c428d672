/**
 * The `metalfaiss` command: `info`, `build`, `search`. `runCli(argv, io)`
 * returns the exit code and never exits the process, so it can be tested in
 * process; bin.ts is the executable around it.
 *
 * Exit codes: 0 success; 2 a problem with the input (missing file, wrong
 * dimension, bad factory string, unsupported index type, bad option): one
 * line saying what is wrong and what to do, no stack trace unless --debug;
 * 130 interrupted (Ctrl-C); 1 an internal error (a bug: please report it).
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { buildCommand } from './build';
import { makeContext, type CommandContext } from './context';
import { CliError } from './errors';
import { infoCommand } from './info';
import type { OutStream } from './progress';
import { searchCommand } from './search';
import { version } from '../../package.json';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

const FORMATS = `Array files (the extension picks the format):
  .npy                     NumPy (numpy.save), C order: float32 or uint8 vectors, int64 ids/labels (int32 too)
  .fvecs .bvecs .ivecs     TEXMEX (SIFT1M): float32 / uint8 vectors, int32 labels
  .fbin .u8bin .ibin       big-ann-benchmarks: int32 n, int32 d, then the values
  .f32 .u8 .i32 .i64       raw little-endian values, no header: pass --dim D
uint8 vectors are converted to float32 for float indexes.`;

export const HELP: Record<string, string> = {
  main: `metalfaiss ${version}: FAISS indexes from the command line (files are FAISS's own format)

Usage:
  metalfaiss info <index-file> [--json]
  metalfaiss build --factory "IVF1024,PQ16" --input base.npy [--train learn.npy] [--ids ids.npy] --out index.faiss
  metalfaiss search <index-file> <queries> [-k 10] [--nprobe N] [--ef N] [--out results.json|.npy|.ivecs] [--gt gt.ivecs]
  metalfaiss help [command]

Options for every command: --debug (stack traces), -h/--help.
${FORMATS}`,
  info: `metalfaiss info <index-file> [--json]

Prints the index tree of a FAISS index file (written by Python FAISS or by metalfaiss): each node's type,
d, ntotal, metric, and its parameters (nlist/nprobe, M/nbits, qtype, efSearch, ...), the size of every node,
and whether this version of metalfaiss can load it. --json prints the same as JSON.`,
  build: `metalfaiss build --factory STR --input FILE --out FILE [options]

Builds an index with faiss.index_factory(d, STR, metric), trains it when it needs training, adds the input
vectors in batches (progress on stderr), writes it in FAISS's format and prints the timings.

  -f, --factory STR   FAISS index_factory string, e.g. "Flat", "IVF1024,Flat", "IVF1024,PQ16", "HNSW32"
  -i, --input FILE    the vectors to add
      --train FILE    training vectors (default: the input, as FAISS's scripts do)
      --ids FILE      one int64 id per input vector (an index that does not store ids is wrapped in IDMap)
  -o, --out FILE      the index file to write (its directory must exist)
      --metric l2|ip  distance (default l2)
      --dim D         row length of raw input files
      --batch N       vectors per add call (default: about 1/20 of the input, 1024..65536)
  -q, --quiet         no progress
      --json          print the summary as JSON (implies --quiet)

${FORMATS}`,
  search: `metalfaiss search <index-file> <queries> [options]

Searches all queries in one call (computed off the event loop) and prints the time and queries per second.

  -k, --k K           neighbours per query (default 10)
      --nprobe N      inverted lists to visit (IVF indexes)
      --ef N          efSearch (HNSW indexes)
      --gt FILE       ground truth (.ivecs or int .npy, one row per query): prints recall@k, 1-recall@1, 1-recall@k
  -o, --out FILE      results: .json (labels and distances), .npy (labels int64; distances in <stem>.distances.npy),
                      .ivecs (labels int32; distances in <stem>.distances.fvecs)
      --nq N          search only the first N queries
      --show N        print the results of the first N queries (default 3 without --out)
      --dim D         row length of raw query files
      --json          print the summary as JSON

${FORMATS}`,
};

const COMMANDS: Record<string, (ctx: CommandContext) => Promise<number>> = {
  info: infoCommand,
  build: buildCommand,
  search: searchCommand,
};

export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
  /** aborts a running build (the executable aborts it on Ctrl-C) */
  signal?: AbortSignal;
}

const HINTS: Partial<Record<string, string>> = {
  DIMENSION_MISMATCH: "check that the inputs have the index's dimension",
  UNSUPPORTED: 'see docs/compat/FAISS-API-Checklist.md for what metalfaiss implements',
  IO_FORMAT: 'is the file complete, and written by FAISS or metalfaiss?',
  NOT_TRAINED: 'train the index before adding (metalfaiss build does this for you)',
  BACKEND_UNAVAILABLE: 'unset METALFAISS_BACKEND, or rebuild the native addon (pnpm build)',
};

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function errorChain(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    parts.push(cur instanceof Error ? (cur.stack ?? cur.message) : String(cur));
    cur = cur instanceof Error ? (cur as Error & { cause?: unknown }).cause : undefined;
    if (cur !== undefined && cur !== null) parts.push('caused by:');
  }
  return parts.join('\n');
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const debug = argv.includes('--debug');
  const first = argv.find((a) => a !== '--debug');
  if (first === undefined) {
    io.stderr.write(HELP.main + '\n');
    return EXIT_USAGE;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${version}\n`);
    return EXIT_OK;
  }
  if (first === 'help' || first === '--help' || first === '-h') {
    const topic = argv[argv.indexOf(first) + 1];
    if (topic !== undefined && !(topic in HELP && topic !== 'main')) {
      io.stderr.write(`metalfaiss: no command ${JSON.stringify(topic)} — the commands are ${Object.keys(COMMANDS).join(', ')}\n`);
      return EXIT_USAGE;
    }
    io.stdout.write((topic ? HELP[topic] : HELP.main) + '\n');
    return EXIT_OK;
  }
  const command = COMMANDS[first];
  if (!command) {
    io.stderr.write(`metalfaiss: unknown command ${JSON.stringify(first)} — the commands are ${Object.keys(COMMANDS).join(', ')}; run \`metalfaiss help\`\n`);
    return EXIT_USAGE;
  }
  const rest = argv.slice(argv.indexOf(first) + 1);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(HELP[first] + '\n');
    return EXIT_OK;
  }
  const ctx = makeContext(first, rest, io);
  try {
    return await command(ctx);
  } catch (e) {
    if (MetalFaissError.isInstance(e)) {
      const hint = e instanceof CliError ? e.hint : HINTS[e.code];
      io.stderr.write(`metalfaiss ${first}: ${oneLine(e.message)}${hint ? ` — ${hint}` : ''}\n`);
      if (debug) io.stderr.write(errorChain(e) + '\n');
      return e.code === 'ABORTED' ? EXIT_INTERRUPTED : EXIT_USAGE;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr.write(`metalfaiss ${first}: internal error: ${oneLine(message)}${debug ? '' : ' — rerun with --debug for the stack trace, and please report it'}\n`);
    if (debug) io.stderr.write(errorChain(e) + '\n');
    return EXIT_INTERNAL;
  }
}
