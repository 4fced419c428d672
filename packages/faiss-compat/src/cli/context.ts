/** What a command gets: its arguments, the output streams, and a cancellation signal. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors';
import type { OutStream } from './progress';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  command: string;
  argv: string[];
  stdout: OutStream;
  stderr: OutStream;
  /** aborted on SIGINT (Ctrl-C) by the executable */
  signal?: AbortSignal;
  /** parses argv with these options (plus --debug); unknown options are usage errors */
  parse(options: OptionSpec): { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpec = {
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function makeContext(command: string, argv: string[], io: { stdout: OutStream; stderr: OutStream; signal?: AbortSignal }): CommandContext {
  return {
    command,
    argv,
    ...io,
    parse(options) {
      try {
        const r = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
        return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
      } catch (e) {
        const err = e as Error & { code?: string };
        const opt = /'(-[^']*)'/.exec(err.message)?.[1];
        if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
          throw usageError(`unknown option ${opt ?? err.message} for \`metalfaiss ${command}\``, `run \`metalfaiss help ${command}\` for its options`);
        }
        if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
          throw usageError(`option ${opt ?? ''} of \`metalfaiss ${command}\` ${/argument missing/.test(err.message) ? 'needs a value' : 'takes no value'}`.replace('  ', ' '), `run \`metalfaiss help ${command}\` for its options`);
        }
        throw usageError(err.message);
      }
    },
  };
}

/** An integer option in [min, max], or the default when absent. */
export function intOption(values: Record<string, string | boolean | undefined>, name: string, def: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = values[name];
  if (v === undefined) return def;
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`expected an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`} for --${name}, received ${JSON.stringify(v)}`);
  }
  return n;
}

export function stringOption(values: Record<string, string | boolean | undefined>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireOption(values: Record<string, string | boolean | undefined>, name: string, command: string, example: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === '') throw usageError(`expected --${name} for \`metalfaiss ${command}\`, received none`, `for example --${name} ${example}`);
  return v;
}
