import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import type { CfRequest, CfResponse, ViewerRequestEvent, ViewerResponseEvent } from "../../app/local/edge/events";
import { loadRouterFunction, routerFilePath, RouterFile, type CloudFrontModule, type LoadedFunction } from "../../app/local/edge/routerHost";
import { EMPTY_SLOT_VALUE } from "../../modules/release/edge-router";
import { API_PATH_PREFIXES, COHORT_COOKIE, COLOURS, Header, KvsKey, originId, otherColour, type ApiService, type Colour } from "../../modules/release/router/contract";

/**
 * The edge router functions (modules/release/router/*.js) exactly as deployed: each file runs in a
 * node:vm context (app/local/edge/routerHost.ts, the loader the local edge uses too) with a fake
 * `cloudfront` module — a KeyValueStore whose `get` rejects for a missing key (as CloudFront's
 * does) or fails entirely, and a recorder for `selectRequestOriginById`.
 */
const API_PREFIX_PAIRS = (Object.entries(API_PATH_PREFIXES) as [ApiService, readonly string[]][]).flatMap(([service, prefixes]) => prefixes.map((prefix): [ApiService, string] => [service, prefix]));
const COOKIE_ATTRIBUTES = "Path=/; Max-Age=31536000; Secure; SameSite=Lax";
const MAX_FUNCTION_BYTES = 10 * 1024;

class FakeKvs {
  entries: Record<string, string> = {};
  failing = false;
  async get(key: string): Promise<string> {
    if (this.failing) throw new Error("KeyValueStore unavailable");
    if (!Object.hasOwn(this.entries, key)) throw new Error(`key '${key}' not found`);
    return this.entries[key] as string;
  }
}

interface Harness {
  readonly kvs: FakeKvs;
  readonly selected: string[];
  readonly logs: string[];
  readonly request: LoadedFunction<ViewerRequestEvent, CfRequest | CfResponse>;
  readonly response: LoadedFunction<ViewerResponseEvent, CfResponse>;
}

function harness(): Harness {
  const kvs = new FakeKvs();
  const selected: string[] = [];
  const logs: string[] = [];
  const cloudfront: CloudFrontModule = { kvs: () => kvs, selectRequestOriginById: (id) => void selected.push(id) };
  return {
    kvs,
    selected,
    logs,
    request: loadRouterFunction(routerFilePath(RouterFile.ViewerRequest), { cloudfront, log: (line) => logs.push(line) }),
    response: loadRouterFunction(routerFilePath(RouterFile.ViewerResponse), { cloudfront, log: (line) => logs.push(line) }),
  };
}

function setState(kvs: FakeKvs, state: { stable: Colour; weight: number; ui?: Partial<Record<Colour, string>> }): void {
  kvs.entries = {
    [KvsKey.StableColour]: state.stable,
    [KvsKey.CanaryWeight]: String(state.weight),
    [KvsKey.UiVersionBlue]: state.ui?.blue ?? "1",
    [KvsKey.UiVersionGreen]: state.ui?.green ?? "2",
  };
}

function event(uri: string, options: { cohort?: string; headers?: Record<string, string> } = {}): ViewerRequestEvent {
  const headers: Record<string, { value: string }> = { host: { value: "d111111abcdef8.cloudfront.net" } };
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name] = { value };
  return {
    version: "1.0",
    context: { distributionDomainName: "d111111abcdef8.cloudfront.net", distributionId: "EDFDVBD6EXAMPLE", eventType: "viewer-request", requestId: "test" },
    viewer: { ip: "198.51.100.7" },
    request: { method: "GET", uri, querystring: {}, headers, cookies: options.cohort === undefined ? {} : { [COHORT_COOKIE]: { value: options.cohort } } },
  };
}

async function forward(h: Harness, uri: string, options: { cohort?: string; headers?: Record<string, string> } = {}): Promise<{ request: CfRequest; colour: string; origin?: string; cohort: number; isNew: boolean }> {
  h.selected.length = 0;
  const result = await h.request.handler(event(uri, options));
  if (typeof (result as CfResponse).statusCode === "number") throw new Error(`expected a request, got a ${(result as CfResponse).statusCode} response`);
  const request = result as CfRequest;
  return {
    request,
    colour: request.headers[Header.Colour]?.value as string,
    origin: h.selected.at(-1),
    cohort: Number(request.headers[Header.Cohort]?.value),
    isNew: request.headers[Header.NewCohort] !== undefined,
  };
}

function expectedColour(cohort: number, weight: number, stable: Colour): Colour {
  return cohort < weight ? otherColour(stable) : stable;
}

let h: Harness;
beforeEach(() => {
  h = harness();
  setState(h.kvs, { stable: "blue", weight: 0 });
});

describe("cohort assignment", () => {
  test("a visitor without the cookie gets a cohort 0-99 and the headers viewer-response needs", async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const { cohort, isNew, request } = await forward(h, "/");
      expect(isNew).toBe(true);
      expect(Number.isInteger(cohort) && cohort >= 0 && cohort <= 99).toBe(true);
      expect(request.headers[Header.Cohort]?.value).toBe(String(cohort));
      seen.add(cohort);
    }
    expect(seen.size).toBe(100); // every cohort occurs: 3 000 draws miss one with p ≈ 5e-12
  });

  test("new visitors split by the weight: about 10 % of 5 000 on the candidate at weight 10", async () => {
    setState(h.kvs, { stable: "green", weight: 10 });
    let candidate = 0;
    for (let i = 0; i < 5000; i++) {
      const { colour, cohort } = await forward(h, "/mcp");
      expect(colour).toBe(expectedColour(cohort, 10, "green"));
      if (colour === "blue") candidate++;
    }
    expect(candidate / 5000).toBeGreaterThan(0.08); // ±4.7 standard deviations
    expect(candidate / 5000).toBeLessThan(0.12);
  });

  test("a valid cookie is kept: no new cohort, no cookie set again", async () => {
    const { cohort, isNew } = await forward(h, "/", { cohort: "42" });
    expect(cohort).toBe(42);
    expect(isNew).toBe(false);
  });

  test.each(["", "abc", "-1", "100", "1e1", "07", " 5", "5.0", "99999", "0x1", "4 2", "NaN"])("an unknown or garbled cookie %j gets a new cohort", async (garbled) => {
    const { cohort, isNew } = await forward(h, "/", { cohort: garbled });
    expect(isNew).toBe(true);
    expect(cohort >= 0 && cohort <= 99).toBe(true);
  });

  test("a viewer cannot choose its cohort, colour or version through headers", async () => {
    setState(h.kvs, { stable: "blue", weight: 0 });
    const spoofed = { [Header.NewCohort]: "true", [Header.Cohort]: "3", [Header.Colour]: "green", [Header.Version]: "666" };
    const { request, isNew, colour } = await forward(h, "/", { cohort: "50", headers: spoofed });
    expect(isNew).toBe(false);
    expect(request.headers[Header.Cohort]?.value).toBe("50");
    expect(colour).toBe("blue");
    expect(request.headers[Header.Version]?.value).toBe("1");
  });
});

describe("weight boundaries", () => {
  test.each([0, 1, 99, 100])("weight %i: cohort c goes to the candidate exactly when c < weight (both stable colours)", async (weight) => {
    for (const stable of COLOURS) {
      setState(h.kvs, { stable, weight });
      for (let cohort = 0; cohort < 100; cohort++) {
        const { colour } = await forward(h, "/mcp", { cohort: String(cohort) });
        expect({ cohort, colour }).toEqual({ cohort, colour: expectedColour(cohort, weight, stable) });
      }
    }
  });
});

describe("stickiness", () => {
  test("the same cookie gets the same colour on every request", async () => {
    setState(h.kvs, { stable: "blue", weight: 37 });
    for (const cohort of [0, 36, 37, 99]) {
      const colours = new Set<string>();
      for (let i = 0; i < 25; i++) colours.add((await forward(h, i % 2 ? "/" : "/mcp", { cohort: String(cohort) })).colour);
      expect([...colours]).toEqual([expectedColour(cohort, 37, "blue")]);
    }
  });

  test("raising the weight never moves a candidate visitor back; lowering never moves a stable visitor over", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.constantFrom<Colour>("blue", "green"), async (cohort, low, high, stable) => {
        fc.pre(low <= high);
        setState(h.kvs, { stable, weight: low });
        const before = (await forward(h, "/", { cohort: String(cohort) })).colour;
        setState(h.kvs, { stable, weight: high });
        const after = (await forward(h, "/", { cohort: String(cohort) })).colour;
        if (before !== stable) expect(after).toBe(before);
        setState(h.kvs, { stable, weight: low });
        if (after === stable) expect((await forward(h, "/", { cohort: String(cohort) })).colour).toBe(stable);
      }),
      { numRuns: 300 },
    );
  });
});

describe("both tiers follow one cookie", () => {
  test("UI assets and API calls of one cohort land on one colour and that colour's UI release", async () => {
    setState(h.kvs, { stable: "green", weight: 37, ui: { blue: "41", green: "40" } });
    for (let cohort = 0; cohort < 100; cohort++) {
      const colour = expectedColour(cohort, 37, "green");
      const ui = await forward(h, "/assets/app.js", { cohort: String(cohort) });
      const page = await forward(h, "/settings/profile", { cohort: String(cohort) });
      const mcp = await forward(h, "/mcp", { cohort: String(cohort) });
      const coach = await forward(h, "/coach/stream", { cohort: String(cohort) });
      const version = colour === "blue" ? "41" : "40";
      expect([ui.colour, page.colour, mcp.colour, coach.colour]).toEqual([colour, colour, colour, colour]);
      expect(ui.request.uri).toBe(`/releases/${version}/assets/app.js`);
      expect(page.request.uri).toBe(`/releases/${version}/index.html`);
      expect(ui.origin).toBeUndefined();
      expect(mcp.origin).toBe(originId("manager", colour));
      expect(coach.origin).toBe(originId("coach", colour));
      expect(mcp.request.uri).toBe("/mcp");
    }
  });

  test.each([
    ["/", "/releases/7/index.html"],
    ["/index.html", "/releases/7/index.html"],
    ["/healthz.json", "/releases/7/healthz.json"],
    ["/assets/app.css", "/releases/7/assets/app.css"],
    ["/goals/2026", "/releases/7/index.html"],
    ["/goals/", "/releases/7/index.html"],
    ["/.well-known/security", "/releases/7/index.html"],
    ["/releases/3/index.html", "/releases/7/releases/3/index.html"],
  ])("UI path %s is served from the colour's release folder as %s (SPA routes → index.html)", async (uri, rewritten) => {
    setState(h.kvs, { stable: "blue", weight: 0, ui: { blue: "7" } });
    const { request, origin } = await forward(h, uri, { cohort: "10" });
    expect(request.uri).toBe(rewritten);
    expect(request.headers[Header.Version]?.value).toBe("7");
    expect(origin).toBeUndefined();
  });

  test.each(API_PREFIX_PAIRS)("every path under %s's prefix %s selects its origin and keeps its URI", async (service, prefix) => {
    for (const uri of [prefix, `${prefix}/`, `${prefix}/x/y`]) {
      const { origin, request } = await forward(h, uri, { cohort: "0" });
      expect(origin).toBe(originId(service, "blue"));
      expect(request.uri).toBe(uri);
    }
  });

  test("OAuth discovery: the protected-resource metadata goes to the visitor's manager colour, with the viewer's host forwarded", async () => {
    setState(h.kvs, { stable: "blue", weight: 50 });
    for (const [cohort, colour] of [["10", "green"], ["90", "blue"]] as const) {
      for (const uri of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp", "/mcp"]) {
        // A viewer's own x-forwarded-host is replaced by its Host.
        const { origin, request } = await forward(h, uri, { cohort, headers: { host: "health.example.com", [Header.ForwardedHost]: "evil.example" } });
        expect({ uri, origin }).toEqual({ uri, origin: originId("manager", colour) });
        expect(request.uri).toBe(uri);
        expect(request.headers[Header.ForwardedHost]?.value).toBe("health.example.com");
      }
    }
    // The UI keeps no forwarded host of the router's making.
    expect((await forward(h, "/", { cohort: "90" })).request.headers[Header.ForwardedHost]).toBeUndefined();
  });
});

describe("safe defaults", () => {
  test("missing keys: stable blue, weight 0", async () => {
    h.kvs.entries = {};
    for (const cohort of ["0", "50", "99"]) {
      expect((await forward(h, "/mcp", { cohort })).origin).toBe("manager-blue");
    }
  });

  test("a missing weight key keeps everyone on the stable colour", async () => {
    setState(h.kvs, { stable: "green", weight: 100 });
    delete h.kvs.entries[KvsKey.CanaryWeight];
    for (let cohort = 0; cohort < 100; cohort++) expect((await forward(h, "/mcp", { cohort: String(cohort) })).colour).toBe("green");
  });

  test("a missing stable colour key means blue", async () => {
    setState(h.kvs, { stable: "green", weight: 0 });
    delete h.kvs.entries[KvsKey.StableColour];
    expect((await forward(h, "/mcp", { cohort: "5" })).origin).toBe("manager-blue");
  });

  test.each([
    [KvsKey.CanaryWeight, ["150", "-1", "ten", "10.5", "", "1000", " 10"]],
    [KvsKey.StableColour, ["purple", "", "GREEN", "green "]],
  ])("bad values of %s fall back to stable blue, weight 0", async (key, values) => {
    for (const value of values) {
      setState(h.kvs, { stable: "blue", weight: 0 });
      h.kvs.entries[key] = value;
      for (const cohort of ["0", "99"]) expect((await forward(h, "/mcp", { cohort })).origin).toBe("manager-blue");
    }
  });

  test("a failing KeyValueStore: everything on stable blue, and the failure is logged", async () => {
    setState(h.kvs, { stable: "green", weight: 100 });
    h.kvs.failing = true;
    for (let cohort = 0; cohort < 100; cohort += 7) expect((await forward(h, "/mcp", { cohort: String(cohort) })).origin).toBe("manager-blue");
    expect(h.logs.some((line) => line.includes("KeyValueStore unavailable"))).toBe(true);
  });

  test("a colour without a UI build (missing key or the empty-slot value) serves the other colour's, and says so", async () => {
    for (const empty of [undefined, EMPTY_SLOT_VALUE, "../etc", ""]) {
      setState(h.kvs, { stable: "blue", weight: 100, ui: { blue: "4" } });
      if (empty === undefined) delete h.kvs.entries[KvsKey.UiVersionGreen];
      else h.kvs.entries[KvsKey.UiVersionGreen] = empty;
      const { request, colour } = await forward(h, "/", { cohort: "3" });
      expect(colour).toBe("blue");
      expect(request.uri).toBe("/releases/4/index.html");
    }
  });

  test("no UI build at all: a 503 from the function, not a request to a missing folder", async () => {
    h.kvs.entries = { [KvsKey.StableColour]: "blue", [KvsKey.CanaryWeight]: "0", [KvsKey.UiVersionBlue]: EMPTY_SLOT_VALUE };
    const result = (await h.request.handler(event("/"))) as CfResponse;
    expect(result.statusCode).toBe(503);
  });
});

describe("viewer-response", () => {
  async function roundTrip(uri: string, cohort?: string, originHeaders: Record<string, string> = {}): Promise<CfResponse> {
    const start = event(uri, { cohort });
    const request = (await h.request.handler(start)) as CfRequest;
    const headers: Record<string, { value: string }> = { "content-type": { value: "text/html" } };
    for (const [name, value] of Object.entries(originHeaders)) headers[name] = { value };
    return h.response.handler({ ...start, context: { ...start.context, eventType: "viewer-response" }, request, response: { statusCode: 200, statusDescription: "OK", headers, cookies: {} } });
  }

  test("a new visitor gets the cookie exactly once, with the agreed attributes, and the colour header", async () => {
    setState(h.kvs, { stable: "blue", weight: 50 });
    const response = await roundTrip("/");
    const cookie = response.cookies[COHORT_COOKIE];
    expect(cookie?.attributes).toBe(COOKIE_ATTRIBUTES);
    expect(cookie?.value).toMatch(/^(\d|[1-9]\d)$/);
    expect(response.headers[Header.Colour]?.value).toBe(expectedColour(Number(cookie?.value), 50, "blue"));
    expect(response.headers[Header.Version]?.value).toBe(Number(cookie?.value) < 50 ? "2" : "1");
    const again = await roundTrip("/", cookie?.value);
    expect(again.cookies[COHORT_COOKIE]).toBeUndefined();
    expect(again.headers[Header.Colour]?.value).toBe(response.headers[Header.Colour]?.value);
  });

  test("the origin's version header wins over the router's (API origins report their own)", async () => {
    const response = await roundTrip("/mcp", "5", { [Header.Version]: "9" });
    expect(response.headers[Header.Version]?.value).toBe("9");
    expect(response.headers[Header.Colour]?.value).toBe("blue");
  });

  test("a cohort header that is not a cohort sets no cookie", async () => {
    const base = event("/");
    const response = await h.response.handler({
      ...base,
      request: { ...base.request, headers: { [Header.NewCohort]: { value: "true" }, [Header.Cohort]: { value: "1; Domain=evil.example" } } },
      response: { statusCode: 200, headers: {}, cookies: {} },
    });
    expect(response.cookies[COHORT_COOKIE]).toBeUndefined();
  });
});

describe("what the CloudFront runtime offers", () => {
  const files = [RouterFile.ViewerRequest, RouterFile.ViewerResponse];

  test.each(files)("%s is at most 10 KB (CloudFront's function size quota)", (file) => {
    const loaded = loadRouterFunction(routerFilePath(file), { cloudfront: { kvs: () => new FakeKvs(), selectRequestOriginById: () => undefined } });
    expect(loaded.bytes).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
  });

  test.each(files)("%s uses only cloudfront-js-2.0 syntax, globals and modules", (file) => {
    const loaded = loadRouterFunction(routerFilePath(file), { cloudfront: { kvs: () => new FakeKvs(), selectRequestOriginById: () => undefined } });
    expect(runtimeViolations(loaded.source)).toEqual([]);
  });

  test("the checker itself catches what the runtime lacks", () => {
    const bad = [
      "fetch('https://example.com')",
      "setTimeout(() => 1, 5)",
      "process.env.X",
      "import('x')",
      "require('fs')",
      "for (const x of [1]) {}",
      "const { a } = {}",
      "const x = [...[1]]",
      "const y = a?.b",
      "const z = a ?? b",
      "const f = async () => 1",
      "class A {}",
      "function* g() {}",
      "eval('1')",
      "new Function('return 1')",
      "globalThis.x = 1",
    ];
    for (const source of bad) expect({ source, violations: runtimeViolations(source).length > 0 }).toEqual({ source, violations: true });
    expect(runtimeViolations("const cf = require('cloudfront'); async function handler(event) { const v = await cf.kvs().get('k'); return `${v}`; }")).toEqual([]);
  });

  test("the vm host offers no Node globals: a function that uses one fails when it runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "healthmate-router-"));
    try {
      for (const [name, body] of [
        ["timer.js", "async function handler(event) { setTimeout(function () {}, 1); return event.request; }"],
        ["process.js", "async function handler(event) { return process.env; }"],
        ["fetch.js", "async function handler(event) { return fetch('http://127.0.0.1'); }"],
        ["fs.js", "const fs = require('fs'); async function handler(event) { return event.request; }"],
      ] as const) {
        writeFileSync(join(dir, name), body);
        await expect((async () => loadRouterFunction(join(dir, name)).handler(event("/")))()).rejects.toThrow(/not defined|Cannot find module/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the router names exactly the contract's cookie, headers, KVS keys and path prefixes", () => {
    const source = loadRouterFunction(routerFilePath(RouterFile.ViewerRequest), { cloudfront: { kvs: () => new FakeKvs(), selectRequestOriginById: () => undefined } }).source;
    const response = loadRouterFunction(routerFilePath(RouterFile.ViewerResponse)).source;
    for (const name of [COHORT_COOKIE, Header.Cohort, Header.NewCohort, Header.Colour, Header.Version, Header.ForwardedHost, ...Object.values(KvsKey), ...API_PREFIX_PAIRS.map(([, prefix]) => prefix)]) {
      expect(source).toContain(`'${name}'`);
    }
    for (const name of [COHORT_COOKIE, Header.Cohort, Header.NewCohort, Header.Colour, Header.Version]) expect(response).toContain(`'${name}'`);
    for (const [service, prefix] of API_PREFIX_PAIRS) expect(source).toContain(`['${prefix}', '${service}']`);
  });
});

/**
 * Everything in a function source that CloudFront Functions' JavaScript runtime 2.0 does not
 * offer (AWS "JavaScript runtime 2.0 features for CloudFront Functions"): ES 5.1 plus const/let,
 * template literals, arrow functions, async/await (async function declarations only), the
 * exponent operator; no for-of, destructuring, spread, optional chaining, ??, classes,
 * generators, modules; no timers, network, file system, process or dynamic code evaluation;
 * `require` only for 'cloudfront' and 'crypto'.
 */
function runtimeViolations(source: string): string[] {
  const file = ts.createSourceFile("router.js", source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const violations: string[] = [];
  const allowed = new Set<ts.SyntaxKind>([
    ts.SyntaxKind.SourceFile, ts.SyntaxKind.EndOfFileToken, ts.SyntaxKind.VariableStatement, ts.SyntaxKind.VariableDeclarationList, ts.SyntaxKind.VariableDeclaration,
    ts.SyntaxKind.FunctionDeclaration, ts.SyntaxKind.ArrowFunction, ts.SyntaxKind.FunctionExpression, ts.SyntaxKind.Parameter, ts.SyntaxKind.Block, ts.SyntaxKind.ExpressionStatement,
    ts.SyntaxKind.ReturnStatement, ts.SyntaxKind.IfStatement, ts.SyntaxKind.ForStatement, ts.SyntaxKind.ForInStatement, ts.SyntaxKind.WhileStatement, ts.SyntaxKind.DoStatement,
    ts.SyntaxKind.TryStatement, ts.SyntaxKind.CatchClause, ts.SyntaxKind.ThrowStatement, ts.SyntaxKind.BreakStatement, ts.SyntaxKind.ContinueStatement, ts.SyntaxKind.SwitchStatement,
    ts.SyntaxKind.CaseBlock, ts.SyntaxKind.CaseClause, ts.SyntaxKind.DefaultClause, ts.SyntaxKind.LabeledStatement, ts.SyntaxKind.EmptyStatement,
    ts.SyntaxKind.Identifier, ts.SyntaxKind.StringLiteral, ts.SyntaxKind.NumericLiteral, ts.SyntaxKind.RegularExpressionLiteral, ts.SyntaxKind.NoSubstitutionTemplateLiteral,
    ts.SyntaxKind.TemplateExpression, ts.SyntaxKind.TemplateHead, ts.SyntaxKind.TemplateMiddle, ts.SyntaxKind.TemplateTail, ts.SyntaxKind.TemplateSpan,
    ts.SyntaxKind.ObjectLiteralExpression, ts.SyntaxKind.PropertyAssignment, ts.SyntaxKind.ArrayLiteralExpression, ts.SyntaxKind.CallExpression, ts.SyntaxKind.NewExpression,
    ts.SyntaxKind.PropertyAccessExpression, ts.SyntaxKind.ElementAccessExpression, ts.SyntaxKind.BinaryExpression, ts.SyntaxKind.PrefixUnaryExpression,
    ts.SyntaxKind.PostfixUnaryExpression, ts.SyntaxKind.ConditionalExpression, ts.SyntaxKind.ParenthesizedExpression, ts.SyntaxKind.AwaitExpression,
    ts.SyntaxKind.DeleteExpression, ts.SyntaxKind.TypeOfExpression, ts.SyntaxKind.VoidExpression, ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword,
    ts.SyntaxKind.NullKeyword, ts.SyntaxKind.ThisKeyword, ts.SyntaxKind.AsyncKeyword, ts.SyntaxKind.InKeyword, ts.SyntaxKind.InstanceOfKeyword,
  ]);
  // Operators and punctuation are tokens of the nodes above; these few are newer than the runtime.
  const isPunctuation = (kind: ts.SyntaxKind) => kind >= ts.SyntaxKind.FirstPunctuation && kind <= ts.SyntaxKind.LastPunctuation;
  const deniedOperators = new Set([ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.QuestionQuestionEqualsToken, ts.SyntaxKind.BarBarEqualsToken, ts.SyntaxKind.AmpersandAmpersandEqualsToken]);
  const deniedGlobals = new Set([
    "fetch", "XMLHttpRequest", "WebSocket", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "queueMicrotask",
    "process", "global", "globalThis", "module", "exports", "__dirname", "__filename", "eval", "Function", "Proxy", "Reflect", "WeakRef", "SharedArrayBuffer", "Atomics", "Intl",
  ]);
  const where = (node: ts.Node) => `line ${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node) => {
    if (!allowed.has(node.kind) && !(isPunctuation(node.kind) && !deniedOperators.has(node.kind) && node.kind !== ts.SyntaxKind.QuestionDotToken)) violations.push(`${ts.SyntaxKind[node.kind]} at ${where(node)}`);
    if (ts.isBinaryExpression(node) && deniedOperators.has(node.operatorToken.kind)) violations.push(`operator ${ts.tokenToString(node.operatorToken.kind)} at ${where(node)}`);
    if ((ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || ts.isCallExpression(node)) && node.questionDotToken) violations.push(`optional chaining at ${where(node)}`);
    if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && node.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.AsyncKeyword)) violations.push(`async closure at ${where(node)}`);
    if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.asteriskToken) violations.push(`generator at ${where(node)}`);
    if (ts.isParameter(node) && (node.initializer || !ts.isIdentifier(node.name))) violations.push(`default or destructured parameter at ${where(node)}`);
    if (ts.isVariableDeclaration(node) && !ts.isIdentifier(node.name)) violations.push(`destructuring at ${where(node)}`);
    if (ts.isIdentifier(node) && deniedGlobals.has(node.text) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) && !(ts.isPropertyAssignment(node.parent) && node.parent.name === node)) {
      violations.push(`${node.text} at ${where(node)}`);
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "require") {
      const [argument] = node.arguments;
      if (node.arguments.length !== 1 || !argument || !ts.isStringLiteral(argument) || !["cloudfront", "crypto"].includes(argument.text)) violations.push(`require of anything but 'cloudfront' or 'crypto' at ${where(node)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  const diagnostics = (file as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  if (diagnostics.length) violations.push(...diagnostics.map((diagnostic) => `syntax error: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ")}`));
  return violations;
}
