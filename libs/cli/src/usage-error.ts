/**
 * A command line that cannot be used as given: an unknown flag, a bad value, a missing argument.
 * The binaries exit 2 for it, as Go's flag package does (upstream's binaries), with one line.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
