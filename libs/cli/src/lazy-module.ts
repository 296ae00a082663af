import { isSea } from 'node:sea';

/** The SEA asset key of a chunk built from an app's `peerpods.chunks` (scripts/build-app.mjs). */
export const chunkAssetKey = (name: string): string => `chunk/${name}.cjs.br`;

/**
 * Loads a heavy module (a cloud SDK and the provider on it) only when it is needed. In the built
 * binary it is a brotli-compressed CommonJS chunk embedded as an asset: the main script neither
 * parses nor carries it uncompressed, so `--help` and `--version` stay as fast as without it. The
 * chunk's imports of `shared` modules get the main script's own instances (one class identity for
 * errors such as InstanceCreationError); everything else it bundles. Outside the binary (tsx, tests)
 * `fallback` imports the module normally.
 */
export function loadLazyModule<T>(
  name: string,
  shared: Readonly<Record<string, unknown>>,
  fallback: () => Promise<T>,
): Promise<T> {
  if (!isSea()) return fallback();
  // Evaluated once per process, however many times the provider is created.
  let loaded = chunks.get(name) as Promise<T> | undefined;
  if (!loaded) {
    loaded = evaluateChunk<T>(name, shared);
    chunks.set(name, loaded);
    loaded.catch(() => chunks.delete(name));
  }
  return loaded;
}

const chunks = new Map<string, Promise<unknown>>();

async function evaluateChunk<T>(name: string, shared: Readonly<Record<string, unknown>>): Promise<T> {
  // Loaded here: the binary's start (--help, --version) must not pay for zlib and vm.
  const [{ createRequire }, { getRawAsset }, { runInThisContext }, { brotliDecompressSync }] =
    await Promise.all([import('node:module'), import('node:sea'), import('node:vm'), import('node:zlib')]);
  const source = brotliDecompressSync(Buffer.from(getRawAsset(chunkAssetKey(name)))).toString('utf8');
  const filename = `${process.execPath}/${name}.cjs`;
  const builtins = createRequire(process.execPath);
  const require = (id: string): unknown => (id in shared ? shared[id] : builtins(id));
  const module = { exports: {} as unknown };
  const wrapper = runInThisContext(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    {
      filename,
    },
  ) as (
    exports: unknown,
    require: (id: string) => unknown,
    module: { exports: unknown },
    f: string,
    d: string,
  ) => void;
  wrapper(module.exports, require, module, filename, process.execPath);
  return module.exports as T;
}
