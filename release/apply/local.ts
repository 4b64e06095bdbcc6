import type { StagedVersions } from "../plan";
import { RELEASED_SERVICES, type ReleasedService, type ReleaseState } from "../state";
import type { Applier, StageResult } from "./types";

/**
 * Builds the current source into a new immutable local release and returns its versions
 * (app/local/releases.ts `buildLocalRelease`; injected so tests need no build).
 */
export type LocalReleaseBuilder = (options: { readonly projectRoot: string; readonly home: string }) => Promise<{ readonly versions: StagedVersions }>;

export interface LocalApplierProps {
  readonly builder: LocalReleaseBuilder;
  readonly projectRoot: string;
  /** HEALTHMATE_HOME (resolved). */
  readonly home: string;
}

/** Services a local release contains (app/local/releases.ts builds manager and ui). */
const LOCAL_SERVICES: readonly ReleasedService[] = ["manager", "ui"];

/**
 * `--env local`: stage builds into `<home>/releases/<n>/`; every other command only saves the
 * state — the local edge watches the state file and applies it within a second, with no restart.
 */
export function localApplier(props: LocalApplierProps): Applier {
  return {
    target: "local",
    stageServices: (state: ReleaseState) => {
      const present = RELEASED_SERVICES.filter((service) => state.services[service] !== undefined);
      return present.length > 0 ? present : LOCAL_SERVICES;
    },
    stage: async (): Promise<StageResult> => {
      const release = await props.builder({ projectRoot: props.projectRoot, home: props.home });
      return { versions: release.versions };
    },
    preflight: async () => undefined,
    reconcile: async () => "the local edge picks it up within a second",
  };
}
