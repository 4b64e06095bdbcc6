import { CloudfrontFunction } from "@cdktf/provider-aws/lib/cloudfront-function";
import { CloudfrontKeyValueStore } from "@cdktf/provider-aws/lib/cloudfront-key-value-store";
import { CloudfrontkeyvaluestoreKey } from "@cdktf/provider-aws/lib/cloudfrontkeyvaluestore-key";
import { Construct } from "constructs";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Slots } from "../../release/state";
import { physicalName, type Environment } from "../config";
import { KvsKey, type Colour } from "./router/contract";

/** CloudFront Functions' runtime for KeyValueStore access and origin selection. */
export const ROUTER_RUNTIME = "cloudfront-js-2.0";

/** CloudFront's limit on a function's code (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html). */
export const MAX_FUNCTION_CODE_BYTES = 10 * 1024;

/**
 * KeyValueStore value of a UI slot with no build (a fresh environment). Not a version (versions
 * start with a letter or digit: release/state.ts versionSchema), so the router's version check
 * reads it as "no build": it serves the stable colour's build instead, and answers 503 "No UI
 * release is deployed yet" when that slot is empty too.
 */
export const EMPTY_SLOT_VALUE = "-";

/** The router's source files (owned by the edge: viewer-request.js and viewer-response.js). */
export const ROUTER_FILES = { viewerRequest: "viewer-request.js", viewerResponse: "viewer-response.js" } as const;

/** The folder of the router files, next to this module. */
export const DEFAULT_ROUTER_DIRECTORY = path.join(path.dirname(fileURLToPath(import.meta.url)), "router");

export type KvsKeyName = (typeof KvsKey)[keyof typeof KvsKey];

export interface EdgeRoutingPointers {
  readonly stableColour: Colour;
  /** Percent of new visitors' cohorts on the candidate colour, integer 0-100. */
  readonly canaryWeight: number;
  /** UI build in each slot; absent when none was ever staged. */
  readonly uiVersions?: Slots;
}

/** Pure: the KeyValueStore contents for some release pointers (all values are strings). */
export function kvsValues(pointers: EdgeRoutingPointers): Readonly<Record<KvsKeyName, string>> {
  return {
    [KvsKey.CanaryWeight]: String(pointers.canaryWeight),
    [KvsKey.StableColour]: pointers.stableColour,
    [KvsKey.UiVersionBlue]: pointers.uiVersions?.blue ?? EMPTY_SLOT_VALUE,
    [KvsKey.UiVersionGreen]: pointers.uiVersions?.green ?? EMPTY_SLOT_VALUE,
  };
}

export interface EdgeRouterProps extends EdgeRoutingPointers {
  readonly environment: Environment;
  /**
   * Folder holding viewer-request.js and viewer-response.js, read at synth.
   * @default DEFAULT_ROUTER_DIRECTORY (modules/release/router)
   */
  readonly codeDirectory?: string;
}

/** A CloudFront Function association for a cache behaviour. */
export interface FunctionAssociation {
  readonly eventType: "viewer-request" | "viewer-response";
  readonly functionArn: string;
}

/**
 * The edge router (ARCHITECTURE §4): a KeyValueStore with one key per KvsKey, the viewer-request
 * function that reads it (cohort → colour → origin or UI release folder) and the viewer-response
 * function that sets the cohort cookie. The function code is the files as written, with no state
 * in it: a canary, promote or rollback changes only KeyValueStore keys here, never a function (a
 * function update would also republish it to every edge location).
 */
export class EdgeRouter extends Construct {
  readonly store: CloudfrontKeyValueStore;
  readonly keys: Readonly<Record<KvsKeyName, CloudfrontkeyvaluestoreKey>>;
  readonly viewerRequest: CloudfrontFunction;
  readonly viewerResponse: CloudfrontFunction;

  constructor(scope: Construct, id: string, props: EdgeRouterProps) {
    super(scope, id);
    this.validateWeight(props.canaryWeight);
    const directory = props.codeDirectory ?? DEFAULT_ROUTER_DIRECTORY;

    this.store = new CloudfrontKeyValueStore(this, "store", {
      name: physicalName("router", props.environment),
      comment: "Release pointers read by the edge router; written only from the release state",
    });
    const values = kvsValues(props);
    const keys = {} as Record<KvsKeyName, CloudfrontkeyvaluestoreKey>;
    for (const [key, value] of Object.entries(values) as [KvsKeyName, string][]) {
      keys[key] = new CloudfrontkeyvaluestoreKey(this, key.replace(/_/g, "-"), { keyValueStoreArn: this.store.arn, key, value });
    }
    this.keys = keys;

    this.viewerRequest = new CloudfrontFunction(this, "viewer-request", {
      name: physicalName("router-request", props.environment),
      runtime: ROUTER_RUNTIME,
      comment: "Cohort cookie to colour: origin for API paths, release folder for the UI",
      code: this.readCode(directory, ROUTER_FILES.viewerRequest),
      keyValueStoreAssociations: [this.store.arn],
      publish: true,
    });
    this.viewerResponse = new CloudfrontFunction(this, "viewer-response", {
      name: physicalName("router-response", props.environment),
      runtime: ROUTER_RUNTIME,
      comment: "Sets the cohort cookie on a visitor's first response",
      code: this.readCode(directory, ROUTER_FILES.viewerResponse),
      publish: true,
    });
  }

  /** Both functions, for every cache behaviour: one cookie decides the whole visitor. */
  get functionAssociations(): FunctionAssociation[] {
    return [
      { eventType: "viewer-request", functionArn: this.viewerRequest.arn },
      { eventType: "viewer-response", functionArn: this.viewerResponse.arn },
    ];
  }

  private readCode(directory: string, file: string): string {
    const location = path.join(directory, file);
    let code: string;
    try {
      code = readFileSync(location, "utf8");
    } catch (error) {
      throw new Error(`EdgeRouter: cannot read the router function ${location}: ${(error as Error).message}`, { cause: error });
    }
    const bytes = Buffer.byteLength(code, "utf8");
    if (bytes > MAX_FUNCTION_CODE_BYTES) throw new Error(`EdgeRouter: ${file} is ${bytes} bytes; CloudFront Functions allow at most ${MAX_FUNCTION_CODE_BYTES}`);
    return code;
  }

  private validateWeight(weight: number): void {
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new Error(`EdgeRouter: canaryWeight must be an integer 0-100, got ${weight}`);
  }
}
