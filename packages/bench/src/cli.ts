/**
 * The `metalfaiss-bench` executable (dist/cli.js). See cli-main.ts.
 */
import { MetalFaissError } from './errors';
import { main } from './cli-main';
import { disposeAllFaissSessions } from './peers/faiss';

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    disposeAllFaissSessions(); // remove the temp copies of the dataset
    process.stderr.write(`metalfaiss-bench: interrupted (${signal})\n`);
    process.exit(130);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as Error & { code?: string };
    process.stderr.write(`metalfaiss-bench: ${MetalFaissError.isInstance(err) ? `${err.code}: ` : ''}${err.message ?? String(e)}\n`);
    if (!MetalFaissError.isInstance(err) && err.stack) process.stderr.write(err.stack + '\n');
    process.exitCode = 1;
  },
);
