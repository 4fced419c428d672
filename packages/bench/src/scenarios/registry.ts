/**
 * The scenario registry. A scenario module calls registerScenario() once;
 * the CLI looks scenarios up by name. Later scenarios (ivf-flat, ivf-pq,
 * hnsw, kmeans, io-read, ...) only need a new module registered in
 * scenarios/index.ts.
 */
import { invalidArgument } from '../errors';
import type { Scenario } from './types';

const registry = new Map<string, Scenario>();

export function registerScenario(s: Scenario): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(s.name)) throw invalidArgument('scenario.name', 'a kebab-case name', s.name);
  if (registry.has(s.name)) throw invalidArgument('scenario.name', 'a name not registered yet', s.name);
  registry.set(s.name, s);
}

export function getScenario(name: string): Scenario {
  const s = registry.get(name);
  if (!s) throw invalidArgument('scenario', `one of ${[...registry.keys()].join(', ') || '(none registered)'}`, name);
  return s;
}

export function listScenarios(): Scenario[] {
  return [...registry.values()];
}
