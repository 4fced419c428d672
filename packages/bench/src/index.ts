/**
 * @metalfaiss/bench: datasets, measurements (ground truth, recall, timing),
 * FAISS and Node peers side by side, reports (CSV, SVG, provenance) and the
 * scenario registry behind the `metalfaiss-bench` CLI.
 */
export type { Dataset } from './datasets/types';
export { queriesOf } from './datasets/types';
export { Prng } from './datasets/prng';
export { syntheticDataset, type SyntheticOptions } from './datasets/synthetic';
export { parseIdx, readIdx, encodeIdxUint8, type IdxTensor } from './datasets/idx';
export { loadFashionMnist, fashionMnistAvailable, FASHION_MNIST_DIR, FASHION_MNIST_INSTALL_HINT } from './datasets/fashion-mnist';
export {
  parseVecs, encodeVecs, readFvecs, readIvecs, readBvecs, writeFvecs, writeIvecs, writeBvecs,
  readF32, writeF32, bytesToFloat32, type VecsKind, type VecsMatrix,
} from './datasets/vecs';
export { loadDataset, DEFAULT_SYNTHETIC, type LoadOptions } from './datasets/load';

export {
  exactKnn, exactKnnParallel, groundTruth, fingerprint, defaultCacheDir,
  type GroundTruth, type GroundTruthOptions, type GroundTruthResult, type ExactKnnInput,
} from './measure/ground-truth';
export { recallAtK, oneRecallAt, compareResults, type LabelArray, type LabelComparison } from './measure/recall';
export {
  repeat, timeOnce, timeSingleQueries, latencyStats, percentile, median, describeMethod,
  type RepeatStats, type LatencyStats,
} from './measure/timing';

export {
  detectFaiss, faissEnvironment, FaissSession, disposeAllFaissSessions, defaultFaissThreads, runnerScript,
  FAISS_PYTHON, FAISS_INSTALL_HINT, FAISS_REMOVED_ENV,
  type FaissJob, type FaissBest, type FaissThreadRun, type FaissDetection, type BestOf,
} from './peers/faiss';
export { loadUsearch, type UsearchPeer, type PeerLoad } from './peers/usearch';

export { emptyRow, applyFaissRatios, type ResultRow } from './report/rows';
export { resultsCsv, toCsv, csvField, parseCsv, RESULT_COLUMNS } from './report/csv';
export { barChart, lineChart, niceTicks, coverTicks, logTicks, formatNumber, escapeXml, type Bar, type Series, type Point } from './report/svg';
export { collectProvenance, gitInfo, machineLabel, type Provenance } from './report/provenance';
export { resultsTable } from './report/table';

export { getScenario, listScenarios, registerScenario } from './scenarios/index';
export type { BenchSettings, Scenario, ScenarioContext, ScenarioOutcome } from './scenarios/types';
export { runBench, writeReport, reportCharts, defaultSettings, DEFAULT_PEAK_GFLOPS, type BenchReport } from './run';
export { runDemo, demoSummary } from './demo';
export { annScenario, ANN_SPECS, ANN_SCENARIOS, nlistFor, pqMFor, type AnnSpec, type SweepPoint } from './scenarios/ann';
export { loadUsearchHnsw, loadHnswlib, installHnswlib, peersCacheDir, HNSWLIB_VERSION, type GraphPeer, type GraphPeerIndex } from './peers/hnsw-peers';
export {
  runFullReport, renderReport, renderFromResults, withFootnote, measuredLines, qpsAtRecall, REPORT_DATASETS, REPORT_SCENARIOS, MISSING_SCENARIOS,
  type ReportDataset, type ReportEntry, type ReportResults, type FullReportOptions,
} from './report/full-report';
export { main as cliMain } from './cli-main';
