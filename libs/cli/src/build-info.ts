/** Filled in by the bundler (scripts/build-app.mjs); absent when running from source. */
declare const __PEERPODS_COMMIT__: string | undefined;

export interface BuildInfo {
  name: string;
  version: string;
  commit: string;
}

export function buildInfo(name: string, version: string): BuildInfo {
  const commit =
    typeof __PEERPODS_COMMIT__ === 'string' ? __PEERPODS_COMMIT__ : 'unknown (not a release build)';
  return { name, version, commit };
}

/** Same shape as upstream's `cloud-api-adaptor version`: name and version, then commit and runtime. */
export function versionText(info: BuildInfo): string {
  return `${info.name} version ${info.version}\n  commit: ${info.commit}\n  node: ${process.version}\n`;
}
