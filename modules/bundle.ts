import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { zipSync } from "./zip";

/** Where a bundle's source map goes. */
export enum SourceMapMode {
  /** No source map. */
  NONE = "none",
  /**
   * Written next to the package, not into it: small deployments, and stack traces from
   * CloudWatch can still be mapped offline with the map of the deployed asset hash.
   */
  EXTERNAL = "external",
  /** Inside the package with a sourceMappingURL; run node with --enable-source-maps. */
  PACKAGED = "packaged",
}

/** Options for bundling one Lambda entry point with esbuild. */
export interface BundleOptions {
  /** Entry file, absolute or relative to `projectRoot`. */
  readonly entry: string;
  /**
   * Folder for this bundle (replaced on every bundle): `package/` and `package.zip` hold what
   * is deployed, an external source map sits beside them.
   */
  readonly stagingDirectory: string;
  /**
   * Root the entry and the source map's paths are relative to.
   * @default process.cwd()
   */
  readonly projectRoot?: string;
  /**
   * Remove whitespace and simplify syntax.
   * @default true
   */
  readonly minify?: boolean;
  /**
   * Also shorten identifiers (about 10 % smaller zipped, but stack traces lose function names).
   * @default false
   */
  readonly minifyIdentifiers?: boolean;
  /**
   * Source map (paths only, no sources content).
   * @default SourceMapMode.EXTERNAL
   */
  readonly sourceMap?: SourceMapMode;
  /**
   * Packages left out of the bundle because the runtime provides them.
   * @default ["@aws-sdk/*"] - the nodejs22.x runtime ships AWS SDK v3
   */
  readonly external?: readonly string[];
  /**
   * esbuild target: the syntax the runtime understands.
   * @default "node22"
   */
  readonly target?: string;
}

export interface Bundle {
  /** The deployment package folder holding `index.mjs`: the Lambda handler is `index.handler`. */
  readonly directory: string;
  /** The package as a deterministic zip (what Lambda receives). */
  readonly zipFile: string;
  /** Base64 SHA-256 of the zip: Lambda's CodeSha256, used as source_code_hash. */
  readonly zipSha256: string;
  readonly zipBytes: number;
  /** @default - none (SourceMapMode.NONE) */
  readonly sourceMapFile?: string;
  /** Bytes per written file, for reports. */
  readonly files: Readonly<Record<string, number>>;
  /** True when the staged bundle of an earlier synth was reused (no input changed). */
  readonly reused: boolean;
}

/** The handler file name inside a bundle; the Lambda handler is `index.<export>`. */
export const BUNDLE_FILE = "index.mjs";

// CommonJS dependencies inside an ESM bundle may still call require() for Node built-ins.
const REQUIRE_SHIM = "import { createRequire as __healthmateCreateRequire } from 'node:module'; const require = __healthmateCreateRequire(import.meta.url);";

interface BuildOutput {
  readonly outputs: readonly { relativePath: string; contents: Uint8Array }[];
  /** SHA-1 of every source file esbuild read, by path relative to the project root. */
  readonly inputs: Readonly<Record<string, string>>;
}

/** What a staging folder records so the next synth can skip esbuild when no input changed. */
interface Fingerprint {
  readonly key: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly bundle: Omit<Bundle, "directory" | "zipFile" | "sourceMapFile" | "reused"> & { readonly sourceMapName?: string };
}

const FINGERPRINT_FILE = "fingerprint.json";
const memory = new Map<string, BuildOutput>();

/**
 * Bundles `entry` into a single ESM file for the Lambda runtime, synchronously (constructs run
 * during synth). Output is a pure function of the sources: esbuild is deterministic, the source
 * map is computed against a fixed virtual location inside the project (so it names the same
 * relative paths in every checkout and for any output folder), and no timestamps are written.
 * Two synths therefore produce the same asset hash.
 *
 * The staging folder keeps a fingerprint (build options, esbuild version, lock file, and the
 * SHA-1 of every file esbuild read); when nothing changed, the previous bundle is reused and
 * esbuild does not run, which is most of a synth's time.
 */
export function bundleEntry(options: BundleOptions): Bundle {
  const projectRoot = path.resolve(options.projectRoot ?? process.cwd());
  const entry = path.resolve(projectRoot, options.entry);
  const sourceMap = options.sourceMap ?? SourceMapMode.EXTERNAL;
  const minify = options.minify ?? true;
  const buildOptions: BuildOptions = {
    absWorkingDir: projectRoot,
    entryPoints: [entry],
    // Virtual output path: the bundle is kept in memory (write: false) and written below.
    outfile: path.join(projectRoot, ".bundle", BUNDLE_FILE),
    write: false,
    bundle: true,
    format: "esm",
    platform: "node",
    target: options.target ?? "node22",
    minifyWhitespace: minify,
    minifySyntax: minify,
    minifyIdentifiers: options.minifyIdentifiers ?? false,
    sourcemap: sourceMap === SourceMapMode.NONE ? false : sourceMap === SourceMapMode.PACKAGED ? "linked" : "external",
    sourcesContent: false,
    legalComments: "none",
    mainFields: ["module", "main"],
    external: [...(options.external ?? ["@aws-sdk/*"])],
    banner: { js: REQUIRE_SHIM },
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  };

  const key = sha1(JSON.stringify(buildOptions), esbuildVersion, ...["package-lock.json", "tsconfig.json"].map((file) => fileSha1(path.join(projectRoot, file)) ?? "-"));
  const staging = path.resolve(options.stagingDirectory);
  const directory = path.join(staging, "package");
  const reused = reuse(staging, key, projectRoot);
  if (reused) return reused;

  let build = memory.get(key);
  if (!build || !unchanged(projectRoot, build.inputs)) {
    const result = buildSync({ ...buildOptions, metafile: true });
    const inputs: Record<string, string> = {};
    for (const input of Object.keys(result.metafile?.inputs ?? {}).sort()) inputs[input] = fileSha1(path.resolve(projectRoot, input)) ?? "-";
    const outputs = (result.outputFiles ?? []).map((file) => ({ relativePath: path.relative(path.dirname(buildOptions.outfile as string), file.path), contents: file.contents }));
    build = { outputs, inputs };
    memory.set(key, build);
  }
  const outputs = build.outputs;

  rmSync(staging, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const files: Record<string, number> = {};
  const packaged: { name: string; contents: Uint8Array }[] = [];
  let sourceMapFile: string | undefined;
  for (const output of outputs) {
    const external = sourceMap === SourceMapMode.EXTERNAL && output.relativePath.endsWith(".map");
    const target = path.join(external ? staging : directory, output.relativePath);
    writeFileSync(target, output.contents);
    if (external) {
      sourceMapFile = target;
    } else {
      files[output.relativePath] = output.contents.byteLength;
      packaged.push({ name: output.relativePath.split(path.sep).join("/"), contents: output.contents });
    }
  }
  const zip = zipSync(packaged.sort((a, b) => a.name.localeCompare(b.name)));
  const zipFile = path.join(staging, "package.zip");
  writeFileSync(zipFile, zip);
  const bundle: Bundle = { directory, zipFile, zipSha256: createHash("sha256").update(zip).digest("base64"), zipBytes: zip.length, sourceMapFile, files, reused: false };
  // Written last: a staging folder without it (an interrupted synth) is never reused.
  const fingerprint: Fingerprint = {
    key,
    inputs: build.inputs,
    bundle: { zipSha256: bundle.zipSha256, zipBytes: bundle.zipBytes, files, sourceMapName: sourceMapFile ? path.basename(sourceMapFile) : undefined },
  };
  writeFileSync(path.join(staging, FINGERPRINT_FILE), JSON.stringify(fingerprint));
  return bundle;
}

/** The bundle already in `staging` when it was built with the same key from unchanged inputs. */
function reuse(staging: string, key: string, projectRoot: string): Bundle | undefined {
  let fingerprint: Fingerprint;
  try {
    fingerprint = JSON.parse(readFileSync(path.join(staging, FINGERPRINT_FILE), "utf8")) as Fingerprint;
  } catch {
    return undefined;
  }
  const zipFile = path.join(staging, "package.zip");
  if (fingerprint.key !== key || !existsSync(zipFile) || !unchanged(projectRoot, fingerprint.inputs)) return undefined;
  if (createHash("sha256").update(readFileSync(zipFile)).digest("base64") !== fingerprint.bundle.zipSha256) return undefined;
  const { sourceMapName, ...rest } = fingerprint.bundle;
  return { ...rest, directory: path.join(staging, "package"), zipFile, sourceMapFile: sourceMapName ? path.join(staging, sourceMapName) : undefined, reused: true };
}

function unchanged(projectRoot: string, inputs: Readonly<Record<string, string>>): boolean {
  return Object.entries(inputs).every(([input, digest]) => fileSha1(path.resolve(projectRoot, input)) === digest);
}

function fileSha1(file: string): string | undefined {
  try {
    return createHash("sha1").update(readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
}

function sha1(...parts: string[]): string {
  const hash = createHash("sha1");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
}
