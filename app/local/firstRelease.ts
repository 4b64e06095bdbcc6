import { hostname, userInfo } from "node:os";
import type { Logger } from "../common/log";
import { plan } from "../../release/plan";
import { FileStateStore } from "../../release/store";
import type { LocalPaths } from "./paths";
import { buildLocalRelease } from "./releases";

/**
 * `npm start` on a fresh clone: when the `local` release state has no manager version in any
 * slot, build the current source as the first local release and stage it, so the edge has
 * something to serve. It is the `stage` of the release planner (release/plan.ts), as
 * `release:stage` runs it: a service's first version goes into the stable colour at weight 0.
 * Later versions come only from `npm run release:stage -- --env local`.
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
  const now = (options.now ?? (() => new Date()))();
  const planned = plan(state, { kind: "stage", versions: release.versions }, { now, actor: `${safeUser()}@${hostname()} (npm start)` });
  await store.save(planned.next, revision);
  options.log.info("first local release staged", { version: release.version, colour: planned.next.stableColour, summary: planned.summary });
  return release.version;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
