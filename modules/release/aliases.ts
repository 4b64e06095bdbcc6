import { Construct } from "constructs";
import type { ReleaseState, Slots } from "../../release/state";
import { FunctionAlarms, type NotificationTopic } from "../alarms";
import { physicalName, type Environment } from "../config";
import { FunctionUrlAuth, FunctionUrlEndpoint, InvokeMode } from "../endpoint";
import type { NodeFunction } from "../function";
import { COLOURS, otherColour, type ApiService, type Colour } from "./router/contract";

/** The alias direct callers use (MCP clients, later the gateway): the stable version plus the canary share. */
export const LIVE_ALIAS = "live";

/** One service's part of the release state: what the aliases render. */
export interface ReleasePointers {
  readonly stableColour: Colour;
  /** Percent of traffic for the candidate (the other) colour, integer 0-100. */
  readonly canaryWeight: number;
  /** Versions in the blue and green slots; absent when nothing was ever staged. */
  readonly slots?: Slots;
}

/** A fresh environment's pointers: blue stable, weight 0, empty slots. */
export const NOTHING_STAGED: ReleasePointers = { stableColour: "blue", canaryWeight: 0 };

/** A service's pointers in a release state document. */
export function pointersFor(state: ReleaseState, service: ApiService): ReleasePointers {
  return { stableColour: state.stableColour, canaryWeight: state.canaryWeight, slots: state.services[service] };
}

export interface AliasRouting {
  /** The version each colour alias points at. */
  readonly colourVersions: Readonly<Record<Colour, string>>;
  /** The version `live` points at: the stable colour's. */
  readonly liveVersion: string;
  /** `{ <candidate version>: weight/100 }`, or empty. */
  readonly liveWeights: Readonly<Record<string, number>>;
}

/**
 * Pure: where the aliases point for some release pointers. An empty slot (a fresh environment)
 * points at `latestVersion`, the version the last deploy published, so a new environment serves
 * something. `live` carries a weight only when both slots are filled, differ, and the weight is
 * above 0; otherwise Lambda would be asked to split traffic between a version and itself.
 */
export function aliasRouting(pointers: ReleasePointers, latestVersion: string): AliasRouting {
  const candidateColour = otherColour(pointers.stableColour);
  const colourVersions = { blue: pointers.slots?.blue ?? latestVersion, green: pointers.slots?.green ?? latestVersion };
  const stable = pointers.slots?.[pointers.stableColour] ?? null;
  const candidate = pointers.slots?.[candidateColour] ?? null;
  const weighted = pointers.canaryWeight > 0 && stable !== null && candidate !== null && candidate !== stable;
  return {
    colourVersions,
    liveVersion: colourVersions[pointers.stableColour],
    liveWeights: weighted ? { [candidate]: pointers.canaryWeight / 100 } : {},
  };
}

/**
 * Prefix of a colour's alarm names, `healthmate-<service>-<env>-<colour>-`: the release commands
 * list alarms by it (CloudWatch DescribeAlarms AlarmNamePrefix) before raising a weight.
 */
export function colourAlarmNamePrefix(service: ApiService, environment: Environment, colour: Colour): string {
  return `${physicalName(service, environment)}-${colour}-`;
}

/** What an edge needs of a service's colours: the function URL each one answers on. */
export interface IColourEndpoints {
  readonly service: ApiService;
  /** `https://<id>.lambda-url.<region>.on.aws/` of each colour alias. */
  readonly urls: Readonly<Record<Colour, string>>;
}

export interface ReleaseAliasesProps extends ReleasePointers {
  readonly function: NodeFunction;
  /** The service; names the alarms and the edge origins. */
  readonly service: ApiService;
  readonly environment: Environment;
  /** Where the colour alarms publish (the release notification topic). */
  readonly notifications: NotificationTopic;
  /**
   * Whole responses, or streamed ones (the coach streams).
   * @default InvokeMode.BUFFERED
   */
  readonly invokeMode?: InvokeMode;
  /**
   * Errors per minute on one colour that raise its alarm.
   * @default 5
   */
  readonly errorThreshold?: number;
  /**
   * Throttles per minute on one colour that raise its alarm.
   * @default 1
   */
  readonly throttleThreshold?: number;
  /**
   * p99 duration (ms) per minute on one colour that raises its alarm.
   * @default - 80 % of the function's timeout
   */
  readonly durationP99ThresholdMs?: number;
}

/**
 * Blue/green releases of one Lambda function (ARCHITECTURE §4): aliases `blue` and `green`, each
 * on one published version from the release state and each with an HTTPS function URL for the
 * edge (CloudFront adds the origin secret; the function refuses requests without it), and `live`
 * on the stable colour's version with the candidate's share as weighted routing, for direct
 * callers. Per colour: errors, throttles and p99 duration alarms named
 * `healthmate-<service>-<env>-<colour>-*`. Only the aliases' versions and weights depend on the
 * release state; everything else is the same in every state, so a canary, promote or rollback
 * changes aliases only.
 */
export class ReleaseAliases extends Construct implements IColourEndpoints {
  readonly service: ApiService;
  readonly routing: AliasRouting;
  /** The colour aliases with their function URLs. */
  readonly colours: Readonly<Record<Colour, FunctionUrlEndpoint>>;
  /** `live` and its function URL, for callers that do not go through the edge. */
  readonly live: FunctionUrlEndpoint;
  readonly urls: Readonly<Record<Colour, string>>;
  readonly alarms: Readonly<Record<Colour, FunctionAlarms>>;

  constructor(scope: Construct, id: string, props: ReleaseAliasesProps) {
    super(scope, id);
    this.validateWeight(props.canaryWeight);
    this.service = props.service;
    this.routing = aliasRouting(props, props.function.version);
    const invokeMode = props.invokeMode ?? InvokeMode.BUFFERED;
    const durationP99ThresholdMs = props.durationP99ThresholdMs ?? Math.round(props.function.timeoutSeconds * 1000 * 0.8);

    const colours = {} as Record<Colour, FunctionUrlEndpoint>;
    const alarms = {} as Record<Colour, FunctionAlarms>;
    for (const colour of COLOURS) {
      // Auth NONE: CloudFront's origin access control would force AWS_IAM, whose signed POSTs need
      // x-amz-content-sha256 from the client; the origin secret takes its place.
      colours[colour] = new FunctionUrlEndpoint(this, colour, {
        function: props.function,
        auth: FunctionUrlAuth.NONE,
        aliasName: colour,
        functionVersion: this.routing.colourVersions[colour],
        description: `Release slot ${colour}: the version the release state puts here (edge origin ${props.service}-${colour})`,
        invokeMode,
      });
      alarms[colour] = new FunctionAlarms(this, `${colour}-alarms`, {
        environment: props.environment,
        function: props.function,
        topic: props.notifications,
        qualifier: colour,
        alarmNamePrefix: colourAlarmNamePrefix(props.service, props.environment, colour).replace(/-$/, ""),
        periodSeconds: 60,
        errorThreshold: props.errorThreshold,
        throttleThreshold: props.throttleThreshold,
        durationP99ThresholdMs,
      });
    }
    this.colours = colours;
    this.alarms = alarms;
    this.urls = { blue: colours.blue.url, green: colours.green.url };

    this.live = new FunctionUrlEndpoint(this, LIVE_ALIAS, {
      function: props.function,
      auth: FunctionUrlAuth.NONE,
      aliasName: LIVE_ALIAS,
      functionVersion: this.routing.liveVersion,
      additionalVersionWeights: this.routing.liveWeights,
      description: "Direct callers: the stable version, plus the canary's share of invocations",
      invokeMode,
    });
  }

  private validateWeight(weight: number): void {
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new Error(`ReleaseAliases: canaryWeight must be an integer 0-100, got ${weight}`);
  }
}
