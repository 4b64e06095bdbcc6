import { hostname, userInfo } from "node:os";
import type { Logger } from "../common/log";
import { pointersOf, type ReleaseState } from "../../release/state";
import { FileStateStore } from "../../release/store";
import type { LocalPaths } from "./paths";
import { buildLocalRelease } from "./releases";

/**
 * `npm start` on a fresh clone: when the `local` release state has no manager version in any
 * slot, build the current source as the first local release and put it in the stable colour at
 * weight 0, so the edge has something to serve. (`release:stage` puts a version in the idle
 * colour; with nothing stable yet there would be nothing to serve.) Later versions come only
 * from `npm run release:stage -- --env local`.
 */
export interface FirstReleaseOptions {
  readonly paths: LocalPaths;
  readonly projectRoot: string;
  readonly log: Logger;
  /** @default - the current time */
  readonly now?: () => Date;
}

/** Returns the version it staged, or undefined when a version was already staged. */
export async function stageFirstReleaseIfNeeded(options: FirstReleaseOptions): Promise<string | undefined> {
  // The release commands' store: schema-checked, locked, revision-checked, atomically replaced.
  const store = new FileStateStore({ path: options.paths.releaseStateFile, environment: "local" });
  const { state, revision } = await store.load();
  const manager = state.services.manager;
  if (manager?.blue || manager?.green) return undefined;

  options.log.info("no local version staged yet: building the current source as the first local release");
  const release = await buildLocalRelease({ projectRoot: options.projectRoot, home: options.paths.home, now: options.now });
  const colour = state.stableColour;
  const now = (options.now ?? (() => new Date()))();
  const next: ReleaseState = {
    ...state,
    revision: state.revision + 1,
    canaryWeight: 0,
    services: {
      ...state.services,
      manager: { blue: null, green: null, [colour]: release.versions.manager },
      ui: { blue: null, green: null, ...state.services.ui, [colour]: release.versions.ui },
    },
  };
  next.history = [
    ...state.history,
    {
      revision: next.revision,
      at: now.toISOString(),
      by: `${safeUser()}@${hostname()} (npm start)`,
      command: "stage",
      summary: `first local version ${release.version} staged by npm start into ${colour} (stable), weight 0`,
      from: pointersOf(state),
      to: pointersOf(next),
    },
  ];
  await store.save(next, revision);
  options.log.info("first local release staged", { version: release.version, colour });
  return release.version;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
