import { readFileSync } from "node:fs";
import * as path from "node:path";
import { initialState, type EnvironmentName, type ReleaseState } from "../../release/state";
import { defaultStateLocation, parseStoredState, type RemoteStateLocation } from "../../release/store";

/** Names main.ts reads besides modules/config.ts's. */
export const RELEASE_STATE_ENV = {
  /** A release state file to synthesize instead of the default location (the release commands pass one). */
  file: "HEALTHMATE_RELEASE_STATE_FILE",
  /** The local data directory (default `.healthmate`). */
  home: "HEALTHMATE_HOME",
} as const;

export interface ReleaseStateSource {
  readonly environment: EnvironmentName;
  /** The project root (where cdktf.json is). */
  readonly projectRoot: string;
  /**
   * The local data directory, for `local`.
   * @default ".healthmate" under projectRoot
   */
  readonly home?: string;
  /**
   * A state file given explicitly.
   * @default - the environment's default location (release/store.ts defaultStateLocation)
   */
  readonly file?: string;
  /** The Terraform state bucket, when configured: the release state then lives in S3. */
  readonly remoteState?: RemoteStateLocation;
}

/**
 * The file main.ts synthesizes from: the explicit file, else the default location —
 * `release/state/<env>.json`, or `<home>/release/state/local.json` for local. With a state
 * bucket the state lives in S3, which synth cannot read (no S3 client in the synth path): the
 * release commands download it and pass HEALTHMATE_RELEASE_STATE_FILE; a plain `cdktf deploy`
 * stops rather than render an empty state over the live aliases.
 */
export function releaseStateFile(source: ReleaseStateSource): string {
  if (source.file) return path.resolve(source.projectRoot, source.file);
  const location = defaultStateLocation(source.environment, {
    projectRoot: source.projectRoot,
    home: path.resolve(source.projectRoot, source.home ?? ".healthmate"),
    remoteState: source.remoteState,
  });
  if (location.kind === "s3") {
    throw new Error(
      `the release state of ${source.environment} is s3://${location.bucket}/${location.key} (a state bucket is configured) and synth reads files only: ` +
        `deploy through the release commands, or download it and set ${RELEASE_STATE_ENV.file} to the copy. Synthesizing without it would reset the aliases and edge keys.`,
    );
  }
  return location.path;
}

/**
 * The release state in `file`, validated by the release store's parser; `initialState` when the
 * file does not exist (a fresh environment).
 */
export function readReleaseStateFile(file: string, environment: EnvironmentName): ReleaseState {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return initialState(environment);
    throw error;
  }
  return parseStoredState(text, file, environment);
}
