import { AsyncLocalStorage } from "node:async_hooks";
import * as nodeCrypto from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Script, createContext } from "node:vm";
import type { CfRequest, CfResponse, ViewerRequestEvent, ViewerResponseEvent } from "./events";

/**
 * Runs the edge router's CloudFront Functions (modules/release/router/*.js) in Node: each file
 * is evaluated as a classic script in its own `node:vm` context whose only non-language globals
 * are `require` (resolving `cloudfront` to the module given here and `crypto`) and `console` —
 * no timers, no `process`, no `fetch`, as in the CloudFront runtime. The router tests and the
 * local edge both load the files through here, so what is tested is what the local edge runs,
 * and both run the bytes that are deployed.
 */

/** The router's source folder and files (what the `ui` stack deploys as CloudFront Functions). */
export const ROUTER_DIR = fileURLToPath(new URL("../../../modules/release/router/", import.meta.url));
export const RouterFile = {
  ViewerRequest: "viewer-request.js",
  ViewerResponse: "viewer-response.js",
} as const;
export type RouterFile = (typeof RouterFile)[keyof typeof RouterFile];

export function routerFilePath(file: RouterFile, dir: string = ROUTER_DIR): string {
  return `${dir.replace(/\/$/, "")}/${file}`;
}

/** The KeyValueStore handle of `cf.kvs()`: `get` rejects when the key does not exist. */
export interface KeyValueStoreHandle {
  get(key: string, options?: { format?: "string" | "json" | "bytes" }): Promise<unknown>;
  exists?(key: string): Promise<boolean>;
}

/** The part of the runtime's `cloudfront` module the router uses. */
export interface CloudFrontModule {
  kvs(kvsId?: string): KeyValueStoreHandle;
  selectRequestOriginById(originId: string): void;
}

/** Built-in modules a function may require besides `cloudfront` (runtime 2.0 also has querystring and buffer; the router needs none). */
const RUNTIME_MODULES: Readonly<Record<string, unknown>> = { crypto: nodeCrypto };

export interface LoadedFunction<E, R> {
  readonly file: string;
  readonly source: string;
  /** Source size as CloudFront counts it (UTF-8 bytes; the quota is 10 KB). */
  readonly bytes: number;
  handler(event: E): Promise<R>;
}

export interface LoadOptions {
  /** The `cloudfront` module; without one, `require('cloudfront')` throws. */
  readonly cloudfront?: CloudFrontModule;
  /** Where the function's console.log goes. @default - discarded */
  readonly log?: (message: string) => void;
}

/** Evaluates one function file and returns its `handler`. */
export function loadRouterFunction<E, R>(file: string, options: LoadOptions = {}): LoadedFunction<E, R> {
  const source = readFileSync(file, "utf8");
  const log = options.log ?? (() => undefined);
  const require = (name: string): unknown => {
    if (name === "cloudfront" && options.cloudfront) return options.cloudfront;
    if (Object.hasOwn(RUNTIME_MODULES, name)) return RUNTIME_MODULES[name];
    throw new Error(`Cannot find module '${name}': a CloudFront function may require only cloudfront and crypto`);
  };
  const consoleShim = { log: (...parts: unknown[]) => log(parts.map(String).join(" ")) };
  const context = createContext({ require, console: consoleShim }, { name: file, codeGeneration: { strings: false, wasm: false } });
  new Script(source, { filename: file }).runInContext(context);
  const handler = (context as { handler?: unknown }).handler;
  if (typeof handler !== "function") throw new Error(`${file} does not define a top-level function handler(event)`);
  return {
    file,
    source,
    bytes: Buffer.byteLength(source, "utf8"),
    handler: async (event: E) => (await (handler as (event: E) => R | Promise<R>)(event)) as R,
  };
}

/** What the viewer-request function decided for one request. */
export type RouterDecision =
  /** Forward the (possibly rewritten) request; `originId` when the function selected an origin. */
  | { readonly kind: "forward"; readonly request: CfRequest; readonly originId?: string }
  /** The function answered itself (e.g. 503 when no UI release exists). */
  | { readonly kind: "respond"; readonly response: CfResponse };

export interface EdgeRouterOptions {
  /** The KeyValueStore the function reads (`cf.kvs()`). */
  readonly kvs: KeyValueStoreHandle;
  /** @default ROUTER_DIR */
  readonly routerDir?: string;
  readonly log?: (message: string) => void;
}

/**
 * Both router functions loaded once, for the local edge. Requests run concurrently, so the
 * origin a request's function selects is recorded per request (AsyncLocalStorage), never in a
 * shared variable.
 */
export class EdgeRouter {
  private readonly selection = new AsyncLocalStorage<{ originId?: string }>();
  private readonly viewerRequestFn: LoadedFunction<ViewerRequestEvent, CfRequest | CfResponse>;
  private readonly viewerResponseFn: LoadedFunction<ViewerResponseEvent, CfResponse>;

  constructor(options: EdgeRouterOptions) {
    const selection = this.selection;
    const cloudfront: CloudFrontModule = {
      kvs: () => options.kvs,
      selectRequestOriginById(originId: string) {
        const store = selection.getStore();
        if (!store) throw new Error("selectRequestOriginById called outside a viewer-request");
        store.originId = String(originId);
      },
    };
    const dir = options.routerDir ?? ROUTER_DIR;
    this.viewerRequestFn = loadRouterFunction(routerFilePath(RouterFile.ViewerRequest, dir), { cloudfront, log: options.log });
    this.viewerResponseFn = loadRouterFunction(routerFilePath(RouterFile.ViewerResponse, dir), { cloudfront, log: options.log });
  }

  async viewerRequest(event: ViewerRequestEvent): Promise<RouterDecision> {
    const store: { originId?: string } = {};
    const result = await this.selection.run(store, () => this.viewerRequestFn.handler(event));
    if (typeof (result as CfResponse).statusCode === "number") return { kind: "respond", response: result as CfResponse };
    return { kind: "forward", request: result as CfRequest, originId: store.originId };
  }

  viewerResponse(event: ViewerResponseEvent): Promise<CfResponse> {
    return this.viewerResponseFn.handler(event);
  }
}
