/**
 * The built-in scenarios, registered when this module loads. A new scenario
 * is a module exporting a Scenario, added to BUILTIN_SCENARIOS (an explicit
 * reference, so bundlers cannot drop it as an unused side-effect import).
 */
import { ANN_SCENARIOS } from './ann';
import { binaryScenario } from './binary';
import { binaryFlatScenario } from './binary-flat';
import { flatScenario } from './flat';
import { hnswTargetsScenario } from './hnsw-targets';
import { kmeansScenario } from './kmeans';
import { opqIvfpqScenario } from './opq-ivfpq';
import { shardsReplicasScenario } from './shards-replicas';
import { QUANT_SCENARIOS } from './quantizers';
import { registerScenario } from './registry';
import type { Scenario } from './types';

export const BUILTIN_SCENARIOS: Scenario[] = [flatScenario, ...ANN_SCENARIOS, binaryScenario, shardsReplicasScenario, opqIvfpqScenario, kmeansScenario, hnswTargetsScenario, binaryFlatScenario, ...QUANT_SCENARIOS];
for (const s of BUILTIN_SCENARIOS) registerScenario(s);

export { getScenario, listScenarios, registerScenario } from './registry';
export type { BenchSettings, Scenario, ScenarioContext, ScenarioOutcome } from './types';
