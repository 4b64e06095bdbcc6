import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { silentLogger } from "../../app/common/log";
import { stageFirstReleaseIfNeeded } from "../../app/local/firstRelease";
import { localPaths } from "../../app/local/paths";
import { buildLocalRelease, listLocalReleases, releaseBundleFile, releaseUiDir } from "../../app/local/releases";
import { initialState, releaseStateSchema } from "../../release/state";

/**
 * Local releases: `<home>/releases/<n>/{manager,ui}`, numbered like Lambda versions, built in a
 * temporary folder and renamed into place; and `npm start`'s first release on a fresh clone.
 */
const ROOT = resolve(".");
let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "healthmate-releases-"));
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe("buildLocalRelease", () => {
  test(
    "builds the manager bundle and the UI into the next integer version, leaving no temporary folder",
    async () => {
      const first = await buildLocalRelease({ projectRoot: ROOT, home });
      const second = await buildLocalRelease({ projectRoot: ROOT, home });
      expect(first).toEqual({ version: "1", versions: { manager: "1", ui: "1" }, directory: join(home, "releases", "1") });
      expect(second.version).toBe("2");
      const paths = localPaths(home);
      const bundle = await readFile(releaseBundleFile(paths.releasesDir, "2", "manager"), "utf8");
      expect(bundle).toMatch(/export\s*\{[^}]*handler/);
      expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//); // fully bundled: the release folder has no node_modules
      const html = await readFile(join(releaseUiDir(paths.releasesDir, "2"), "index.html"), "utf8");
      expect(html).toContain('<meta name="healthmate-version" content="2">');
      expect(html).toContain("Healthmate");
      expect(JSON.parse(await readFile(join(releaseUiDir(paths.releasesDir, "2"), "healthz.json"), "utf8"))).toEqual({ status: "ok", service: "ui", version: "2" });
      expect(existsSync(join(releaseUiDir(paths.releasesDir, "2"), "assets", "app.js"))).toBe(true);
      expect(JSON.parse(await readFile(join(second.directory, "release.json"), "utf8"))).toMatchObject({ version: "2" });
      expect(await readdir(paths.releasesDir)).toEqual(["1", "2"]);
      expect(await listLocalReleases(home)).toEqual(["1", "2"]);
    },
    60_000,
  );

  test(
    "concurrent builds claim different versions; abandoned builds are cleared; numbers the state names are never reused",
    async () => {
      const paths = localPaths(home);
      // A build killed mid-way (its process is gone) and a version that only the state remembers.
      await mkdir(join(paths.releasesDir, ".building-999999999-abc", "manager"), { recursive: true });
      await mkdir(join(home, "release", "state"), { recursive: true });
      const state = { ...initialState("local"), revision: 1, services: { manager: { blue: "5", green: null } } };
      await writeFile(paths.releaseStateFile, JSON.stringify(releaseStateSchema.parse(state)));

      const builds = await Promise.all([buildLocalRelease({ projectRoot: ROOT, home }), buildLocalRelease({ projectRoot: ROOT, home })]);
      expect(builds.map((build) => build.version).sort()).toEqual(["6", "7"]);
      for (const build of builds) {
        const html = await readFile(join(releaseUiDir(paths.releasesDir, build.version), "index.html"), "utf8");
        expect(html).toContain(`content="${build.version}"`);
      }
      expect((await readdir(paths.releasesDir)).sort()).toEqual(["6", "7"]);
    },
    60_000,
  );
});

describe("npm start's first release", () => {
  test(
    "a fresh home gets version 1 in blue, stable, weight 0, with a history entry; a second start builds nothing",
    async () => {
      const paths = localPaths(home);
      const now = () => new Date("2026-12-04T10:00:00Z");
      expect(await stageFirstReleaseIfNeeded({ paths, projectRoot: ROOT, log: silentLogger, now })).toBe("1");
      const state = releaseStateSchema.parse(JSON.parse(await readFile(paths.releaseStateFile, "utf8")));
      expect(state).toMatchObject({ revision: 1, stableColour: "blue", canaryWeight: 0, services: { manager: { blue: "1", green: null }, ui: { blue: "1", green: null } } });
      // The planner's stage (the same as release:stage), recorded as npm start's.
      expect(state.history).toEqual([
        expect.objectContaining({ revision: 1, command: "stage", at: "2026-12-04T10:00:00.000Z", by: expect.stringMatching(/@.+ \(npm start\)$/), summary: expect.stringMatching(/^staged manager 1 in blue \(first release, stable\), ui 1 in blue \(first release, stable\) at weight 0/) }),
      ]);

      expect(await stageFirstReleaseIfNeeded({ paths, projectRoot: ROOT, log: silentLogger, now })).toBeUndefined();
      expect(await listLocalReleases(home)).toEqual(["1"]);
    },
    60_000,
  );

  test("an invalid state file stops npm start with a clear message and is left alone", async () => {
    const paths = localPaths(home);
    await mkdir(join(home, "release", "state"), { recursive: true });
    await writeFile(paths.releaseStateFile, '{"schemaVersion": 1, "canaryWeight": "lots"}');
    await expect(stageFirstReleaseIfNeeded({ paths, projectRoot: ROOT, log: silentLogger })).rejects.toThrow(/not a valid release state/);
    expect(await readFile(paths.releaseStateFile, "utf8")).toBe('{"schemaVersion": 1, "canaryWeight": "lots"}');
    expect(await listLocalReleases(home)).toEqual([]);
  });
});
