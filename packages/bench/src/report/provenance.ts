/**
 * Machine and provenance record written beside every report (machine.json):
 * what ran, where, when, and from which commit.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem, arch } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Provenance {
  date: string;
  cpuModel: string;
  /** from /proc/cpuinfo when readable: family/model and the SIMD extensions present */
  cpuDetail: string | null;
  /** logical CPUs the OS reports */
  cores: number;
  availableParallelism: number;
  totalMemoryBytes: number;
  /** 1, 5, 15 minute load averages when the run started: a busy machine skews timings */
  loadAverage: number[];
  os: string;
  node: string;
  /** our kernels' backendInfo() */
  backend: Record<string, unknown>;
  faiss: { available: boolean; version?: string; python: string; reason?: string } | null;
  peers: Record<string, string>;
  git: { commit: string | null; dirty: boolean | null };
  /** OPENBLAS_* variables of our own process (left as found) */
  env: Record<string, string | undefined>;
  argv: string[];
  /** how figures were measured */
  method: string[];
}

/** "family 25 model 17; sse4_2 avx2 fma avx512f avx512bw avx512vl avx512_bf16" from /proc/cpuinfo, or null. */
export function cpuDetail(): string | null {
  let text: string;
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const simd = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'amx_tile'].filter((f) => flags.has(f));
  const fam = field('cpu family');
  const model = field('model');
  return `${fam !== undefined ? `family ${fam} model ${model}; ` : ''}${simd.join(' ') || 'no SIMD flags listed'}`;
}

/** git commit of the working tree holding this package (null outside git). */
export function gitInfo(cwd = dirname(fileURLToPath(import.meta.url))): { commit: string | null; dirty: boolean | null } {
  const rev = spawnSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' });
  if (rev.status !== 0) return { commit: null, dirty: null };
  const st = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' });
  return { commit: rev.stdout.trim(), dirty: st.status === 0 ? st.stdout.trim().length > 0 : null };
}

/** "AMD EPYC ... (2 cores)": for chart subtitles. */
export function machineLabel(p: Pick<Provenance, 'cpuModel' | 'availableParallelism'> & { cpuDetail?: string | null }): string {
  const isa = p.cpuDetail?.includes('avx512f') ? ', AVX-512' : p.cpuDetail?.includes('avx2') ? ', AVX2' : '';
  return `${p.cpuModel.replace(/\s+/g, ' ').trim()} (${p.availableParallelism} cores${isa})`;
}

export function collectProvenance(parts: {
  backend: Record<string, unknown>;
  faiss: Provenance['faiss'];
  peers?: Record<string, string>;
  method?: string[];
}): Provenance {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    cpuModel: c[0]?.model ?? 'unknown',
    cpuDetail: cpuDetail(),
    cores: c.length,
    availableParallelism: availableParallelism(),
    totalMemoryBytes: totalmem(),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    backend: parts.backend,
    faiss: parts.faiss,
    peers: parts.peers ?? {},
    git: gitInfo(),
    env: Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('OPENBLAS_') || k.startsWith('OMP_')).map((k) => [k, process.env[k]])),
    argv: process.argv.slice(2),
    method: parts.method ?? [],
  };
}
