/**
 * Errors the `metalfaiss` command reports as one line: what is wrong, then
 * what to do (`hint`). They are MetalFaissErrors, so library callers of the
 * CLI helpers (formats.ts) can check `code` as everywhere else.
 */
import { MetalFaissError, type MetalFaissErrorCode } from '@metalfaiss/metal-kernels';

export class CliError extends MetalFaissError {
  /** what the user can do about it (printed after the message) */
  readonly hint: string | undefined;

  constructor(code: MetalFaissErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.hint = hint;
  }

  /**
   * MetalFaissError's instanceof accepts every MetalFaissError (by marker);
   * CliError narrows that back to real CliErrors (by prototype chain).
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && CliError.prototype.isPrototypeOf(value);
  }
}

/** A usage error: a missing or malformed command-line argument. */
export function usageError(message: string, hint = 'run `metalfaiss help` for the usage'): CliError {
  return new CliError('INVALID_ARGUMENT', message, hint);
}

/** A file that cannot be opened or read: names the file and the OS's reason. */
export function fileOpenError(path: string, role: string, cause: unknown): CliError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    return new CliError('INVALID_ARGUMENT', `expected an existing file for ${role}, received ${JSON.stringify(path)} (no such file)`, 'check the path', { cause });
  }
  if (code === 'EISDIR') {
    return new CliError('INVALID_ARGUMENT', `expected a file for ${role}, received ${JSON.stringify(path)} (a directory)`, 'pass a file, not a directory', { cause });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new CliError('INVALID_ARGUMENT', `expected a readable file for ${role}, received ${JSON.stringify(path)} (permission denied)`, 'check the file permissions', { cause });
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CliError('INVALID_ARGUMENT', `expected a readable file for ${role}, received ${JSON.stringify(path)} (${reason})`, undefined, { cause });
}
