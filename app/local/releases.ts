import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { bundleEntry, BUNDLE_FILE, SourceMapMode } from "../../modules/bundle";
import { releaseStateSchema } from "../../release/state";
import { buildUi } from "../ui/build";
import { DEFAULT_HOME, localPaths, readJsonFile } from "./paths";
import { processAlive } from "../common/process";

/**
 * Local releases (ARCHITECTURE §4): `release:stage --env local` builds the current source into
 * `<HEALTHMATE_HOME>/releases/<n>/` — the manager's Lambda bundle in `manager/` (what the
 * function host runs) and the UI build in `ui/` (what the edge serves) — under the next integer
 * version, like Lambda's published version numbers. A release is built in a temporary folder and
 * renamed into place, so a killed build never leaves a half release, and a folder that exists is
 * never written again (immutable).
 */
export interface LocalReleaseOptions {
  /** The checkout to build from. @default process.cwd() */
  readonly projectRoot?: string;
  /** The data directory. @default DEFAULT_HOME */
  readonly home?: string;
  /** @default - the current time */
  readonly now?: () => Date;
}

export interface LocalRelease {
  /** The new version id ("1", "2", …). */
  readonly version: string;
  /** The version of each service built into this release (the same id for all of them). */
  readonly versions: { readonly manager: string; readonly ui: string };
  /** The release folder. */
  readonly directory: string;
}

/** The manager's Lambda entry point, bundled as on AWS. */
export const MANAGER_ENTRY = "app/manager/lambda.ts";
/** What a release folder records about itself. */
export const RELEASE_MANIFEST = "release.json";
const BUILDING_PREFIX = ".building-";

/** The handler file of a service in a local release. */
export function releaseBundleFile(releasesDir: string, version: string, service: "manager" | "coach"): string {
  return join(releasesDir, version, service, BUNDLE_FILE);
}

export function releaseUiDir(releasesDir: string, version: string): string {
  return join(releasesDir, version, "ui");
}

export async function buildLocalRelease(options: LocalReleaseOptions = {}): Promise<LocalRelease> {
  const projectRoot = resolve(options.projectRoot ?? process.cwd());
  const paths = localPaths(options.home ?? DEFAULT_HOME);
  const now = options.now ?? (() => new Date());
  await mkdir(paths.releasesDir, { recursive: true, mode: 0o700 });
  await removeAbandonedBuilds(paths.releasesDir);

  const temp = await mkdtemp(join(paths.releasesDir, `${BUILDING_PREFIX}${process.pid}-`));
  try {
    // Fully bundled (no externals): the release folder lives outside the checkout, where
    // node_modules cannot be resolved. Not minified, for readable local stack traces.
    const staging = join(temp, ".bundle");
    const bundle = bundleEntry({ entry: MANAGER_ENTRY, stagingDirectory: staging, projectRoot, minify: false, sourceMap: SourceMapMode.NONE, external: [] });
    await rename(bundle.directory, join(temp, "manager"));
    await rm(staging, { recursive: true, force: true });

    // Claim the next version by renaming; a concurrent build that claimed it first makes the
    // rename fail, and this build takes the next number (the UI is rebuilt with it).
    for (let attempt = 0; ; attempt++) {
      const version = String((await highestVersion(paths.releasesDir, paths.releaseStateFile)) + 1);
      await rm(join(temp, "ui"), { recursive: true, force: true });
      const ui = await buildUi({ outDir: join(temp, "ui"), version });
      await writeFile(
        join(temp, RELEASE_MANIFEST),
        `${JSON.stringify({ version, createdAt: now().toISOString(), services: { manager: { entry: MANAGER_ENTRY, bytes: bundle.files }, ui: { files: ui.files } } }, null, 2)}\n`,
      );
      const directory = join(paths.releasesDir, version);
      try {
        await rename(temp, directory);
        return { version, versions: { manager: version, ui: version }, directory };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code !== "ENOTEMPTY" && code !== "EEXIST") || attempt >= 20) throw error;
      }
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/** The versions of the local releases that exist, ascending. */
export async function listLocalReleases(home: string = DEFAULT_HOME): Promise<string[]> {
  const entries = await readdir(localPaths(home).releasesDir).catch(() => [] as string[]);
  return entries.filter((name) => /^[1-9]\d*$/.test(name)).sort((a, b) => Number(a) - Number(b));
}

/**
 * The highest version in use: release folders and every version the state names (slots and
 * history), so a deleted folder's number is never handed out again.
 */
async function highestVersion(releasesDir: string, stateFile: string): Promise<number> {
  const numbers = (await readdir(releasesDir)).filter((name) => /^[1-9]\d*$/.test(name)).map(Number);
  const stored = releaseStateSchema.safeParse(await readJsonFile(stateFile).catch(() => undefined));
  if (stored.success) {
    const slots = [...Object.values(stored.data.services), ...stored.data.history.flatMap((entry) => [...Object.values(entry.from.services), ...Object.values(entry.to.services)])];
    for (const slot of slots) {
      for (const version of [slot?.blue, slot?.green]) if (version && /^[1-9]\d*$/.test(version)) numbers.push(Number(version));
    }
  }
  return Math.max(0, ...numbers);
}

/** Temporary folders of builds whose process is gone (killed mid-build). */
async function removeAbandonedBuilds(releasesDir: string): Promise<void> {
  for (const name of await readdir(releasesDir)) {
    const match = new RegExp(`^${BUILDING_PREFIX.replace(".", "\\.")}(\\d+)-`).exec(name);
    if (match && !processAlive(Number(match[1]))) await rm(join(releasesDir, name), { recursive: true, force: true });
  }
}
