import { TerraformStack, Testing } from "cdktf";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { crc32, inflateRawSync } from "node:zlib";
import { Tables } from "../../app/manager/store/catalogue";
import { AwsAccount } from "../../modules/account";
import { FunctionAlarms } from "../../modules/alarms";
import { HealthmateAuth } from "../../modules/auth";
import { bundleEntry, SourceMapMode } from "../../modules/bundle";
import { Environment } from "../../modules/config";
import { FunctionUrlAuth, FunctionUrlEndpoint } from "../../modules/endpoint";
import { NodeFunction, type NodeFunctionProps } from "../../modules/function";
import { EncryptionKey } from "../../modules/key";
import { PolicyDocument } from "../../modules/policy";
import { HealthTables } from "../../modules/tables";
import { zipSync } from "../../modules/zip";
import { Template, testApp } from "../support/template";

const apps: { cleanup(): void }[] = [];
afterAll(() => apps.forEach((app) => app.cleanup()));

function newStack(): { stack: TerraformStack; account: AwsAccount; outdir: string } {
  const test = testApp();
  apps.push(test);
  const stack = new TerraformStack(test.app, "test");
  return { stack, account: new AwsAccount(stack, "account", { region: "us-west-2" }), outdir: test.outdir };
}

const ENTRY = "app/manager/lambda.ts";
const functionProps = (overrides: Partial<NodeFunctionProps> = {}): NodeFunctionProps => ({ functionName: "healthmate-test-dev", entry: ENTRY, logRetentionDays: 14, ...overrides });

describe("constructs validate their props and say what they got", () => {
  test.each([
    [{ memorySize: 64 }, "memorySize must be an integer 128-10240 MB, got 64"],
    [{ timeoutSeconds: 901 }, "timeoutSeconds must be an integer 1-900, got 901"],
    [{ logRetentionDays: 10 }, "logRetentionDays must be one of 1, 3, 5"],
    [{ functionName: "has space" }, "functionName must be 1-64 letters, digits, '-' or '_', got 'has space'"],
    [{ environment: { AWS_REGION: "x" } }, "environment variable 'AWS_REGION' is not allowed"],
  ])("NodeFunction %j", (overrides, message) => {
    const { stack } = newStack();
    expect(() => new NodeFunction(stack, "fn", functionProps(overrides))).toThrow(message);
  });

  test("EncryptionKey rotation and deletion windows", () => {
    const { stack, account } = newStack();
    const base = { environment: Environment.DEV, account, logicalName: "k", description: "d" };
    expect(() => new EncryptionKey(stack, "a", { ...base, deletionWindowInDays: 3 })).toThrow("deletionWindowInDays must be an integer 7-30, got 3");
    expect(() => new EncryptionKey(stack, "b", { ...base, rotationPeriodInDays: 30 })).toThrow("rotationPeriodInDays must be an integer 90-2560, got 30");
  });

  test("HealthmateAuth limits", () => {
    const { stack, account } = newStack();
    const base = { environment: Environment.DEV, account, callbackUrls: ["https://a.example/cb"], logoutUrls: ["https://a.example/"] };
    expect(() => new HealthmateAuth(stack, "a", { ...base, minimumPasswordLength: 8 })).toThrow("minimumPasswordLength must be an integer 12-99, got 8");
    expect(() => new HealthmateAuth(stack, "b", { ...base, tokenValidityMinutes: 2 })).toThrow("tokenValidityMinutes must be an integer 5-1440, got 2");
    expect(() => new HealthmateAuth(stack, "c", { ...base, callbackUrls: [] })).toThrow("callbackUrls must list 1-100 URLs, got 0");
    expect(() => new HealthmateAuth(stack, "d", { ...base, domainSuffix: "Amazon" })).toThrow("domain prefix must be 1-63 lowercase letters");
  });

  test("HealthTables recovery window", () => {
    const { stack, account } = newStack();
    const key = new EncryptionKey(stack, "key", { environment: Environment.DEV, account, logicalName: "k", description: "d" });
    expect(() => new HealthTables(stack, "tables", { environment: Environment.DEV, encryptionKey: key, recoveryPeriodInDays: 40 })).toThrow("recoveryPeriodInDays must be an integer 1-35, got 40");
  });

  test("FunctionUrlEndpoint alias name, FunctionAlarms thresholds", () => {
    const { stack, account } = newStack();
    const fn = new NodeFunction(stack, "fn", functionProps());
    expect(() => new FunctionUrlEndpoint(stack, "url", { function: fn, auth: FunctionUrlAuth.NONE, aliasName: "42" })).toThrow("aliasName must be 1-128 letters, digits, '-' or '_' and not only digits, got '42'");
    const key = new EncryptionKey(stack, "key", { environment: Environment.DEV, account, logicalName: "k", description: "d" });
    expect(() => new FunctionAlarms(stack, "alarms", { environment: Environment.DEV, function: fn, encryptionKey: key, errorThreshold: 0 })).toThrow("errorThreshold must be a positive integer, got 0");
  });

  test("PolicyDocument statements", () => {
    const { stack } = newStack();
    expect(() => new PolicyDocument(stack, "a", { statements: [{ actions: [], resources: ["*"] }] })).toThrow("actions must name at least one action, got []");
    expect(() => new PolicyDocument(stack, "b", { statements: [{ actions: ["GetItem"], resources: ["x"] }] })).toThrow("actions must be 'service:Action', got 'GetItem'");
    expect(() => new PolicyDocument(stack, "c", { statements: [{ actions: ["dynamodb:GetItem"] }] })).toThrow("resources must name at least one resource for dynamodb:GetItem, got none");
  });
});

describe("HealthTables", () => {
  test("renders a catalogue TTL attribute; deletion protection can be set explicitly", () => {
    const { stack, account } = newStack();
    const key = new EncryptionKey(stack, "key", { environment: Environment.DEV, account, logicalName: "k", description: "d" });
    new HealthTables(stack, "tables", {
      environment: Environment.DEV,
      encryptionKey: key,
      deletionProtection: true,
      catalogue: { ...Tables, journals: { ...Tables.journals, ttlAttribute: "expiresAt" } },
    });
    const template = Template.fromStack(stack);
    expect(template.findResources("aws_dynamodb_table", { name: "healthmate-journals-dev" })[0]?.ttl).toEqual({ enabled: true, attribute_name: "expiresAt" });
    expect(template.findResources("aws_dynamodb_table", { deletion_protection_enabled: true })).toHaveLength(8);
  });
});

describe("NodeFunction", () => {
  test("grants extend the one inline policy; AWS_IAM endpoints add no public permission", () => {
    const { stack } = newStack();
    const fn = new NodeFunction(stack, "fn", functionProps());
    fn.addToRolePolicy({ sid: "Extra", actions: ["sqs:SendMessage"], resources: ["${aws_sqs_queue.q.arn}"] });
    new FunctionUrlEndpoint(stack, "url", { function: fn, auth: FunctionUrlAuth.AWS_IAM });
    const template = Template.fromStack(stack);
    const doc = Object.values(template.dataOfType("aws_iam_policy_document")).find((candidate) => JSON.stringify(candidate).includes("Extra"));
    expect((doc?.statement as { sid: string }[]).map((statement) => statement.sid)).toEqual(["OwnLogs", "XRayWrite", "Extra"]);
    expect(template.resourceCount("aws_iam_role_policy")).toBe(1);
    expect(template.resourceCount("aws_lambda_permission")).toBe(0);
    expect(template.onlyResource("aws_lambda_function_url").authorization_type).toBe("AWS_IAM");
  });

  test("the source map stays beside the package by default; PACKAGED ships it with --enable-source-maps", () => {
    const { stack, outdir } = newStack();
    const external = new NodeFunction(stack, "external", functionProps({ functionName: "external-fn" }));
    const packaged = new NodeFunction(stack, "packaged", functionProps({ functionName: "packaged-fn", sourceMap: SourceMapMode.PACKAGED }));
    expect(external.bundle.directory).toBe(path.join(outdir, "bundles", "external-fn", "package"));
    expect(Object.keys(external.bundle.files)).toEqual(["index.mjs"]);
    expect(external.bundle.sourceMapFile && existsSync(external.bundle.sourceMapFile)).toBe(true);
    expect(Object.keys(packaged.bundle.files).sort()).toEqual(["index.mjs", "index.mjs.map"]);
    const template = Template.fromStack(stack);
    const variables = (name: string) => (template.findResources("aws_lambda_function", { function_name: name })[0]?.environment as { variables: Record<string, string> }).variables;
    expect(variables("packaged-fn").NODE_OPTIONS).toBe("--enable-source-maps");
    expect(variables("external-fn").NODE_OPTIONS).toBeUndefined();
  });

  test("Testing.synth works on a stack with a function (no provider needed)", () => {
    const { stack } = newStack();
    new NodeFunction(stack, "fn", functionProps());
    expect(Testing.synth(stack)).toContain('"runtime": "nodejs22.x"');
  });
});

describe("zipSync", () => {
  /** Reads a zip's entries back (local headers), checking sizes and CRCs. */
  function unzip(zip: Buffer): Record<string, string> {
    const entries: Record<string, string> = {};
    let offset = 0;
    while (zip.readUInt32LE(offset) === 0x04034b50) {
      const crc = zip.readUInt32LE(offset + 14);
      const compressedSize = zip.readUInt32LE(offset + 18);
      const size = zip.readUInt32LE(offset + 22);
      const nameLength = zip.readUInt16LE(offset + 26);
      const name = zip.subarray(offset + 30, offset + 30 + nameLength).toString("utf8");
      const start = offset + 30 + nameLength;
      const contents = inflateRawSync(zip.subarray(start, start + compressedSize));
      expect(contents.length).toBe(size);
      expect(crc32(contents)).toBe(crc);
      entries[name] = contents.toString("utf8");
      offset = start + compressedSize;
    }
    expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
    expect(zip.readUInt16LE(zip.length - 12)).toBe(Object.keys(entries).length);
    return entries;
  }

  test("round-trips its entries and is byte-identical for equal input", () => {
    const entries = [
      { name: "index.mjs", contents: Buffer.from("export const handler = async () => 'ok';\n".repeat(50)) },
      { name: "lib/data.json", contents: Buffer.from('{"a":1}') },
    ];
    const zip = zipSync(entries);
    expect(unzip(zip)).toEqual({ "index.mjs": entries[0]?.contents.toString(), "lib/data.json": '{"a":1}' });
    expect(zipSync(entries).equals(zip)).toBe(true);
  });

  test.each(["/abs.js", "../up.js", "a\\b.js", ""])("refuses entry name %j", (name) => {
    expect(() => zipSync([{ name, contents: Buffer.from("x") }])).toThrow("entry names must be relative");
  });
});

describe("bundleEntry", () => {
  let project: string;
  beforeEach(() => {
    project = mkdtempSync(path.join(tmpdir(), "healthmate-bundle-"));
    writeFileSync(path.join(project, "entry.ts"), 'import { greeting } from "./dep";\nexport const handler = async (): Promise<string> => greeting;\n');
    writeFileSync(path.join(project, "dep.ts"), 'export const greeting: string = "hello";\n');
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  test("reuses the staged bundle until an input changes; the zip follows the sources", () => {
    const stagingDirectory = path.join(project, "staging");
    const first = bundleEntry({ entry: "entry.ts", projectRoot: project, stagingDirectory });
    expect(first.reused).toBe(false);
    expect(readFileSync(path.join(first.directory, "index.mjs"), "utf8")).toContain('"hello"');
    const second = bundleEntry({ entry: "entry.ts", projectRoot: project, stagingDirectory });
    expect(second).toEqual({ ...first, reused: true });

    writeFileSync(path.join(project, "dep.ts"), 'export const greeting: string = "bonjour";\n');
    const third = bundleEntry({ entry: "entry.ts", projectRoot: project, stagingDirectory });
    expect(third.reused).toBe(false);
    expect(third.zipSha256).not.toBe(first.zipSha256);
    expect(readFileSync(path.join(third.directory, "index.mjs"), "utf8")).toContain('"bonjour"');
  });

  test("the source map names project-relative sources, whatever the staging folder", () => {
    const a = bundleEntry({ entry: "entry.ts", projectRoot: project, stagingDirectory: path.join(project, "a") });
    const b = bundleEntry({ entry: "entry.ts", projectRoot: project, stagingDirectory: path.join(tmpdir(), `healthmate-other-${process.pid}`) });
    try {
      const sources = (file: string | undefined) => (JSON.parse(readFileSync(file as string, "utf8")) as { sources: string[] }).sources;
      expect(sources(a.sourceMapFile).sort()).toEqual(["../dep.ts", "../entry.ts"]);
      expect(sources(b.sourceMapFile)).toEqual(sources(a.sourceMapFile));
      expect(sources(a.sourceMapFile).every((source) => !path.isAbsolute(source) && !source.includes(project))).toBe(true);
      expect(a.zipSha256).toBe(b.zipSha256);
    } finally {
      rmSync(path.dirname(b.directory), { recursive: true, force: true });
    }
  });
});
