/**
 * The `metalfaiss` executable (bin of @metalfaiss/faiss-compat). Ctrl-C
 * aborts a running build through an AbortSignal (nothing is written); a
 * second Ctrl-C exits at once.
 */
import { EXIT_INTERRUPTED, runCli } from './main';

const controller = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\nmetalfaiss: interrupted, stopping (Ctrl-C again to exit now)\n');
  controller.abort(new Error('interrupted by Ctrl-C'));
  process.once('SIGINT', () => process.exit(EXIT_INTERRUPTED));
});
// `metalfaiss search ... | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`metalfaiss: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
