/** Registers the built-in scenarios (import for side effects). Add new scenario modules here. */
import './flat';

export { getScenario, listScenarios, registerScenario } from './registry';
export type { BenchSettings, Scenario, ScenarioContext, ScenarioOutcome } from './types';
