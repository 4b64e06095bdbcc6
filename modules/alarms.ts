import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { physicalName, type Environment } from "./config";
import type { NodeFunction } from "./function";
import type { EncryptionKey } from "./key";

export interface FunctionAlarmsProps {
  readonly environment: Environment;
  readonly function: NodeFunction;
  /** Encrypts the alarm topic; its policy must let CloudWatch alarms use it. */
  readonly encryptionKey: EncryptionKey;
  /**
   * Address subscribed to the alarm topic (the recipient confirms by e-mail).
   * @default - no subscription
   */
  readonly email?: string;
  /**
   * Errors in 5 minutes that raise the alarm.
   * @default 5
   */
  readonly errorThreshold?: number;
  /**
   * Throttled invocations in 5 minutes that raise the alarm.
   * @default 1
   */
  readonly throttleThreshold?: number;
}

/**
 * Errors and throttles alarms of a function, publishing to an encrypted SNS topic. The release
 * commands read these before raising a canary weight (ARCHITECTURE §4).
 */
export class FunctionAlarms extends Construct {
  readonly topic: SnsTopic;
  readonly errors: CloudwatchMetricAlarm;
  readonly throttles: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: FunctionAlarmsProps) {
    super(scope, id);
    const errorThreshold = props.errorThreshold ?? 5;
    const throttleThreshold = props.throttleThreshold ?? 1;
    this.validateThreshold("errorThreshold", errorThreshold);
    this.validateThreshold("throttleThreshold", throttleThreshold);

    this.topic = new SnsTopic(this, "topic", { name: physicalName("alarms", props.environment), kmsMasterKeyId: props.encryptionKey.arn });
    if (props.email) new SnsTopicSubscription(this, "email", { topicArn: this.topic.arn, protocol: "email", endpoint: props.email });

    const alarm = (metricName: string, threshold: number, description: string) =>
      new CloudwatchMetricAlarm(this, metricName.toLowerCase(), {
        alarmName: `${props.function.functionName}-${metricName.toLowerCase()}`,
        alarmDescription: description,
        namespace: "AWS/Lambda",
        metricName,
        dimensions: { FunctionName: props.function.functionName },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
      });
    this.errors = alarm("Errors", errorThreshold, `${props.function.functionName} failed ${errorThreshold}+ invocations in 5 minutes`);
    this.throttles = alarm("Throttles", throttleThreshold, `${props.function.functionName} was throttled ${throttleThreshold}+ times in 5 minutes`);
  }

  private validateThreshold(name: string, value: number): void {
    if (!Number.isInteger(value) || value < 1) throw new Error(`FunctionAlarms: ${name} must be a positive integer, got ${value}`);
  }
}
