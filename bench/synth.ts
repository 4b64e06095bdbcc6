import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ratio, verdict } from "./stats";

/**
 * Synth time and peak memory of all stacks (`node --import tsx main.ts`, as cdktf runs it),
 * against the same app rewritten to import provider classes from the package root.
 * Targets (issue #2): synth ≤ 1 s; ≥ 5x faster than root imports.
 */
const PROJECT = process.cwd();
const SOURCE_DIRS = ["stacks", "modules", "app", "release"];
// The package root, as a value: the rewritten copy imports it (this repo itself never does).
const PROVIDER_ROOT = ["@cdktf", "provider-aws"].join("/");
const DEEP_IMPORT = /import \{([^}]*)\} from "@cdktf\/provider-aws\/lib\/([a-z0-9-]+)";/g;

interface Run {
  readonly seconds: number;
  readonly peakMb: number;
}

function synthOnce(cwd: string, outdir: string): Run {
  const started = performance.now();
  // --import order: the peak-RSS reporter first, so it sees the whole run.
  const result = spawnSync(process.execPath, ["--import", "tsx", "--import", path.join(PROJECT, "bench/peak-rss.ts"), "main.ts"], {
    cwd,
    // dev needs an origin secret to synth; a placeholder is enough for timing (nothing is deployed).
    env: { HEALTHMATE_ORIGIN_SECRET: "bench-placeholder-origin-secret-0000000", ...process.env, CDKTF_OUTDIR: outdir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    encoding: "utf8",
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`synth failed in ${cwd}: ${result.stderr}`);
  const peak = /peak-rss-kb=(\d+)/.exec(result.stderr);
  return { seconds, peakMb: peak ? Number(peak[1]) / 1024 : Number.NaN };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * `fresh`: a new output folder per run, so the Lambda bundle is built every time (first synth of
 * a checkout). Otherwise one folder for all runs: esbuild is skipped when no source changed,
 * as in an operator's repeated `cdktf synth`/`deploy`.
 */
function measure(cwd: string, runs: number, fresh: boolean): Run {
  const samples: Run[] = [];
  const shared = mkdtempSync(path.join(tmpdir(), "healthmate-bench-synth-"));
  try {
    for (let i = 0; i < runs + 1; i++) {
      const outdir = fresh ? mkdtempSync(path.join(tmpdir(), "healthmate-bench-synth-")) : shared;
      try {
        const run = synthOnce(cwd, outdir);
        if (i > 0) samples.push(run); // the first run warms the OS file cache (and the bundle)
      } finally {
        if (fresh) rmSync(outdir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
  return { seconds: median(samples.map((run) => run.seconds)), peakMb: median(samples.map((run) => run.peakMb)) };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** A copy of the app under .healthmate/ whose provider imports go through the package root. */
function rootImportCopy(): string {
  const copy = path.join(PROJECT, ".healthmate", "bench-root-imports");
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(copy, { recursive: true });
  cpSync(path.join(PROJECT, "main.ts"), path.join(copy, "main.ts"));
  for (const dir of SOURCE_DIRS) cpSync(path.join(PROJECT, dir), path.join(copy, dir), { recursive: true });
  let rewritten = 0;
  for (const file of filesUnder(copy).filter((name) => name.endsWith(".ts"))) {
    const source = readFileSync(file, "utf8");
    const changed = source.replace(DEEP_IMPORT, (_match, names: string, module: string) => {
      rewritten++;
      const namespace = module.replace(/-([a-z0-9])/g, (_m, letter: string) => letter.toUpperCase());
      const values = names
        .split(",")
        .map((name) => name.trim())
        .filter((name) => name && !name.startsWith("type "));
      return values.length ? `import * as provider_${namespace} from "${PROVIDER_ROOT}"; const { ${values.join(", ")} } = provider_${namespace}.${namespace};` : "";
    });
    // Every module now loads the root; one namespace import per file is what a root user writes.
    if (changed !== source) writeFileSync(file, changed.replace(/import \* as provider_\w+ from "@cdktf\/provider-aws"; /g, (m, offset, all) => (all.indexOf(m) === offset ? m : "")));
  }
  if (rewritten === 0) throw new Error("no deep provider imports found to rewrite");
  return copy;
}

export async function run(options: { iterations: number }): Promise<void> {
  const runs = Math.max(3, Math.min(7, Math.round(options.iterations / 400)));
  console.log(`\nSynth of all stacks (node --import tsx main.ts, median of ${runs} runs after one warm-up)`);
  const cold = measure(PROJECT, runs, true);
  console.log(`  deep imports, bundle built  : ${cold.seconds.toFixed(2)} s, peak ${cold.peakMb.toFixed(0)} MB (first synth of a checkout)`);
  const deep = measure(PROJECT, runs, false);
  console.log(`  deep imports, bundle reused : ${deep.seconds.toFixed(2)} s, peak ${deep.peakMb.toFixed(0)} MB (target ≤ 1 s: ${verdict(deep.seconds <= 1)})`);
  const copy = rootImportCopy();
  try {
    const root = measure(copy, runs, false);
    const speedup = root.seconds / deep.seconds;
    console.log(`  root imports, bundle reused : ${root.seconds.toFixed(2)} s, peak ${root.peakMb.toFixed(0)} MB`);
    console.log(
      `  deep vs root                : ${ratio(speedup)} faster, ${ratio(root.peakMb / deep.peakMb)} less memory (target ≥ 5x faster: ${verdict(speedup >= 5)})`,
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
