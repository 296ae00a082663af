export { type BuildInfo, buildInfo, versionText } from './build-info';
export { type CapturedRun, runCaptured } from './capture';
export { type EmbeddedFile, embeddedTree, embeddedTreeKey, readTree } from './embedded-tree';
export { addBooleanNegations, GoFlagError, normalizeGoFlags, parseGoBool } from './go-flags';
export { parseHostPort } from './host-port';
export { chunkAssetKey, loadLazyModule } from './lazy-module';
export { type LogFlags, logOptions } from './log-options';
export { createProgram, type ProgramOptions, runProgram, startProgram } from './program';
export { UsageError } from './usage-error';
