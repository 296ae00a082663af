export { type MakeDirectoryOptions, makeDirectory, makeDirectorySync } from './make-directory';
