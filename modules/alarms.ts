import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { physicalName, type Environment } from "./config";
import type { NodeFunction } from "./function";
import type { EncryptionKey } from "./key";

export interface NotificationTopicProps {
  /** Physical topic name, e.g. `healthmate-release-prod`. */
  readonly name: string;
  /** Encrypts the topic; its policy must let CloudWatch alarms use it. */
  readonly encryptionKey: EncryptionKey;
  /**
   * Address subscribed to the topic (the recipient confirms by e-mail).
   * @default - no subscription
   */
  readonly email?: string;
}

/** An SNS topic encrypted with a customer-managed key, with an optional e-mail subscription. */
export class NotificationTopic extends Construct {
  readonly topic: SnsTopic;
  readonly arn: string;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    this.topic = encryptedTopic(this, props);
    this.arn = this.topic.arn;
  }
}

/** The topic and its subscription as direct children of `scope` (FunctionAlarms keeps its addresses). */
function encryptedTopic(scope: Construct, props: NotificationTopicProps): SnsTopic {
  const topic = new SnsTopic(scope, "topic", { name: props.name, kmsMasterKeyId: props.encryptionKey.arn });
  if (props.email) new SnsTopicSubscription(scope, "email", { topicArn: topic.arn, protocol: "email", endpoint: props.email });
  return topic;
}

export interface FunctionAlarmsProps {
  readonly environment: Environment;
  readonly function: NodeFunction;
  /**
   * Topic the alarms publish to.
   * @default - a new topic `healthmate-alarms-<env>` encrypted with encryptionKey (email subscribes)
   */
  readonly topic?: NotificationTopic;
  /**
   * Encrypts the topic this construct creates; its policy must let CloudWatch alarms use it.
   * @default - none; required when no topic is given
   */
  readonly encryptionKey?: EncryptionKey;
  /**
   * Address subscribed to the topic this construct creates (the recipient confirms by e-mail).
   * @default - no subscription
   */
  readonly email?: string;
  /**
   * Watch one alias only (Lambda's `Resource` dimension `<function>:<alias>`).
   * @default - the whole function, every alias and version
   */
  readonly qualifier?: string;
  /**
   * Alarm names are `<prefix>-errors`, `<prefix>-throttles`, `<prefix>-duration-p99`.
   * @default - the function name
   */
  readonly alarmNamePrefix?: string;
  /**
   * Length of one evaluation period in seconds (60 or a multiple of 60).
   * @default 300
   */
  readonly periodSeconds?: number;
  /**
   * Errors in one period that raise the alarm.
   * @default 5
   */
  readonly errorThreshold?: number;
  /**
   * Throttled invocations in one period that raise the alarm.
   * @default 1
   */
  readonly throttleThreshold?: number;
  /**
   * p99 duration in milliseconds that raises a duration alarm.
   * @default - no duration alarm
   */
  readonly durationP99ThresholdMs?: number;
}

/**
 * Errors and throttles alarms (and optionally a p99 duration alarm) of a function or one of its
 * aliases, publishing to an encrypted SNS topic. The release commands read the colour aliases'
 * alarms before raising a canary weight (ARCHITECTURE §4).
 */
export class FunctionAlarms extends Construct {
  readonly topic: SnsTopic;
  readonly errors: CloudwatchMetricAlarm;
  readonly throttles: CloudwatchMetricAlarm;
  readonly durationP99?: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: FunctionAlarmsProps) {
    super(scope, id);
    const errorThreshold = props.errorThreshold ?? 5;
    const throttleThreshold = props.throttleThreshold ?? 1;
    const period = props.periodSeconds ?? 300;
    this.validateThreshold("errorThreshold", errorThreshold);
    this.validateThreshold("throttleThreshold", throttleThreshold);
    if (props.durationP99ThresholdMs !== undefined) this.validateThreshold("durationP99ThresholdMs", props.durationP99ThresholdMs);
    if (!Number.isInteger(period) || period < 60 || period % 60 !== 0) throw new Error(`FunctionAlarms: periodSeconds must be 60 or a multiple of 60, got ${period}`);

    if (props.topic) {
      this.topic = props.topic.topic;
    } else {
      if (!props.encryptionKey) throw new Error("FunctionAlarms: give a topic, or an encryptionKey for the topic it creates; got neither");
      this.topic = encryptedTopic(this, { name: physicalName("alarms", props.environment), encryptionKey: props.encryptionKey, email: props.email });
    }

    const functionName = props.function.functionName;
    const subject = props.qualifier ? `${functionName}:${props.qualifier}` : functionName;
    const prefix = props.alarmNamePrefix ?? functionName;
    const dimensions: Record<string, string> = props.qualifier ? { FunctionName: functionName, Resource: subject } : { FunctionName: functionName };
    const minutes = period / 60;
    const common = {
      namespace: "AWS/Lambda",
      dimensions,
      period,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
    };
    const span = `${minutes} minute${minutes === 1 ? "" : "s"}`;
    const sumAlarm = (metricName: string, threshold: number, description: string) =>
      new CloudwatchMetricAlarm(this, metricName.toLowerCase(), {
        ...common,
        alarmName: `${prefix}-${metricName.toLowerCase()}`,
        alarmDescription: description,
        metricName,
        statistic: "Sum",
        threshold,
      });
    this.errors = sumAlarm("Errors", errorThreshold, `${subject} failed ${errorThreshold}+ invocations in ${span}`);
    this.throttles = sumAlarm("Throttles", throttleThreshold, `${subject} was throttled ${throttleThreshold}+ times in ${span}`);
    if (props.durationP99ThresholdMs !== undefined) {
      this.durationP99 = new CloudwatchMetricAlarm(this, "duration-p99", {
        ...common,
        alarmName: `${prefix}-duration-p99`,
        alarmDescription: `${subject} p99 duration reached ${props.durationP99ThresholdMs} ms in ${span}`,
        metricName: "Duration",
        extendedStatistic: "p99",
        threshold: props.durationP99ThresholdMs,
        // A canary at a low weight has few samples; a percentile of three requests is noise.
        evaluateLowSampleCountPercentiles: "ignore",
      });
    }
  }

  private validateThreshold(name: string, value: number): void {
    if (!Number.isInteger(value) || value < 1) throw new Error(`FunctionAlarms: ${name} must be a positive integer, got ${value}`);
  }
}
