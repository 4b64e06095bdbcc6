import { App } from "cdktf";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadConfig } from "../../modules/config";
import { defineStacks, STACK_IDS } from "../../stacks/app";
import { Template, type Props } from "../support/template";

/** Outside `local` the configuration needs the origin secret CloudFront sends to the colour URLs. */
const ORIGIN_SECRET = "test-origin-secret-0123456789abcdef0123456789";

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The same App main.ts builds, synthesized with app.synth() into a temp folder. */
function synthApp(env: Record<string, string> = {}): string {
  const outdir = mkdtempSync(path.join(tmpdir(), "healthmate-app-"));
  outdirs.push(outdir);
  const app = new App({ outdir });
  defineStacks(app, loadConfig({ HEALTHMATE_ORIGIN_SECRET: ORIGIN_SECRET, ...env }));
  app.synth();
  return outdir;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

let outdir: string;
beforeAll(() => {
  outdir = synthApp();
});

describe("the app (main.ts)", () => {
  test("synthesizes exactly the stacks manager, coach and ui, coach and ui after manager", () => {
    const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[]; workingDirectory: string }> };
    expect(Object.keys(manifest.stacks).sort()).toEqual([...STACK_IDS].sort());
    expect(manifest.stacks.manager?.dependencies).toEqual([]);
    expect(manifest.stacks.coach?.dependencies).toEqual(["manager"]);
    expect(manifest.stacks.ui?.dependencies).toEqual(["manager"]);
    expect(manifest.stacks.manager?.workingDirectory).toBe("stacks/manager");
  });

  test("coach and ui read the manager's values through generated outputs and remote state", () => {
    const manager = Template.fromSynthesizedApp(outdir, "manager");
    const crossOutputs = Object.entries(manager.outputs()).filter(([name]) => name.startsWith("cross-stack-output-"));
    const outputFor = (reference: string) => crossOutputs.find(([, output]) => output.value === reference)?.[0];

    const urlOf = (alias: string) => manager.ref("aws_lambda_function_url", { qualifier: manager.ref("aws_lambda_alias", { name: alias }, "name") }, "function_url");
    const functionUrl = outputFor(urlOf("live"));
    const clientId = outputFor(manager.ref("aws_cognito_user_pool_client", {}, "id"));
    const poolEndpoint = outputFor(manager.ref("aws_cognito_user_pool", {}, "endpoint"));
    const poolId = outputFor(manager.ref("aws_cognito_user_pool", {}, "id"));
    const domain = outputFor(manager.ref("aws_cognito_user_pool_domain", {}, "domain"));
    const blueUrl = outputFor(urlOf("blue"));
    const greenUrl = outputFor(urlOf("green"));
    for (const output of [functionUrl, clientId, poolEndpoint, poolId, domain, blueUrl, greenUrl]) expect(output).toBeDefined();

    const remote = (name: string) => `\${data.terraform_remote_state.cross-stack-reference-input-manager.outputs.${name}}`;
    const coach = Template.fromSynthesizedApp(outdir, "coach");
    expect(coach.json.data?.terraform_remote_state?.["cross-stack-reference-input-manager"]).toMatchObject({
      backend: "local",
      config: { path: "../../../terraform.manager.dev.tfstate" },
    });
    expect(coach.json.locals).toEqual({
      manager_mcp_endpoint: `${remote(functionUrl as string)}mcp`,
      issuer_url: `https://${remote(poolEndpoint as string)}`,
      user_pool_client_id: remote(clientId as string),
    });

    const ui = Template.fromSynthesizedApp(outdir, "ui");
    expect(ui.json.locals).toEqual({
      manager_mcp_endpoint: `${remote(functionUrl as string)}mcp`,
      user_pool_id: remote(poolId as string),
      user_pool_client_id: remote(clientId as string),
      user_pool_domain: `${remote(domain as string)}.auth.us-west-2.amazoncognito.com`,
      issuer_url: `https://${remote(poolEndpoint as string)}`,
    });
    // The edge's origins are the manager's colour URLs, read the same way.
    const origins = ui.onlyResource("aws_cloudfront_distribution").origin as Props[];
    expect(origins.map((origin) => [origin.origin_id, origin.domain_name])).toEqual([
      ["ui", expect.stringContaining("aws_s3_bucket.")],
      ["manager-blue", `\${trimsuffix(trimprefix(${remote(blueUrl as string).slice(2, -1)}, "https://"), "/")}`],
      ["manager-green", `\${trimsuffix(trimprefix(${remote(greenUrl as string).slice(2, -1)}, "https://"), "/")}`],
    ]);
  });

  test("coach holds only its provider besides the inputs; every stack has its provider and tags", () => {
    expect(Template.fromSynthesizedApp(outdir, "coach").json.resource).toBeUndefined();
    for (const name of STACK_IDS) {
      const stack = Template.fromSynthesizedApp(outdir, name);
      expect(stack.json.provider?.aws?.[0]).toMatchObject({ region: "us-west-2", default_tags: [{ tags: { Project: "healthmate", Environment: "dev", Stack: name } }] });
    }
  });

  test("local state per stack and environment with a relative path", () => {
    for (const name of STACK_IDS) {
      const stack = Template.fromSynthesizedApp(outdir, name);
      expect(stack.json.terraform?.backend).toEqual({ local: { path: `../../../terraform.${name}.dev.tfstate` } });
    }
  });

  test("no absolute path of this checkout or the temp folder in any synthesized file", () => {
    const cwd = process.cwd();
    for (const file of filesUnder(path.join(outdir, "stacks")).filter((name) => name.endsWith(".json"))) {
      const text = readFileSync(file, "utf8");
      expect(text).not.toContain(cwd);
      expect(text).not.toContain(outdir);
      expect(text).not.toContain(tmpdir());
    }
  });

  test("two synths are identical: same JSON, same bundle hash and bytes", () => {
    const second = synthApp();
    for (const name of STACK_IDS) {
      expect(readFileSync(path.join(second, "stacks", name, "cdk.tf.json"), "utf8")).toBe(readFileSync(path.join(outdir, "stacks", name, "cdk.tf.json"), "utf8"));
    }
    const zip = (dir: string) => filesUnder(path.join(dir, "stacks", "manager", "assets")).map((file) => [path.relative(dir, file), readFileSync(file).toString("base64")]);
    expect(zip(second)).toEqual(zip(outdir));
  });

  test("an S3 state bucket switches every stack to the S3 backend with native locking", () => {
    const s3 = synthApp({ HEALTHMATE_ENV: "prod", HEALTHMATE_STATE_BUCKET: "acme-terraform-state", HEALTHMATE_STATE_KEY_PREFIX: "apps/healthmate", HEALTHMATE_STATE_REGION: "eu-west-1" });
    for (const name of STACK_IDS) {
      const backend = Template.fromSynthesizedApp(s3, name).json.terraform?.backend as Props;
      expect(backend).toEqual({ s3: { bucket: "acme-terraform-state", key: `apps/healthmate/prod/${name}.tfstate`, region: "eu-west-1", encrypt: true, use_lockfile: true } });
    }
    const coach = Template.fromSynthesizedApp(s3, "coach");
    expect(coach.json.data?.terraform_remote_state?.["cross-stack-reference-input-manager"]).toMatchObject({
      backend: "s3",
      config: { bucket: "acme-terraform-state", key: "apps/healthmate/prod/manager.tfstate", region: "eu-west-1" },
    });
  });
});
