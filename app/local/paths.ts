import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/**
 * Layout of the local data directory (`HEALTHMATE_HOME`, default `.healthmate/` in the working
 * directory). Everything the local runtime keeps between runs lives here, so deleting the
 * directory is a full reset.
 */
export const DEFAULT_HOME = ".healthmate";

export interface LocalPaths {
  readonly home: string;
  /** Written while `npm start` runs; removed on a clean stop. */
  readonly runtimeFile: string;
  /** dynalite's LevelDB store. */
  readonly dynamodbDir: string;
  /** The OpenID provider's signing keys, cookie keys and accounts. */
  readonly oidcDir: string;
  /** Immutable local releases: `<releasesDir>/<version>/{manager,ui}/` (app/local/releases.ts). */
  readonly releasesDir: string;
  /** The `local` environment's release state (release/state.ts), written by the release commands. */
  readonly releaseStateFile: string;
}

export function localPaths(home: string = DEFAULT_HOME): LocalPaths {
  const root = resolve(home);
  return {
    home: root,
    runtimeFile: join(root, "runtime.json"),
    dynamodbDir: join(root, "dynamodb"),
    oidcDir: join(root, "oidc"),
    releasesDir: join(root, "releases"),
    releaseStateFile: join(root, "release", "state", "local.json"),
  };
}

/** Reads a JSON file; `undefined` when it does not exist. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${path} is not valid JSON; delete it (or the whole data directory) to start afresh`);
  }
}

/** Writes JSON atomically (temp file + rename) so a crash never leaves half a file. Owner-only. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}
