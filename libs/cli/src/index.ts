export { type BuildInfo, buildInfo, versionText } from './build-info';
export { type CapturedRun, runCaptured } from './capture';
export { addBooleanNegations, GoFlagError, normalizeGoFlags, parseGoBool } from './go-flags';
export { createProgram, type ProgramOptions, runProgram, startProgram } from './program';
export { UsageError } from './usage-error';
