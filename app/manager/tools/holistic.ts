import { z } from "zod";
import type { ToolContext } from "../deps";
import { addDays, dateInZone, dayRangeInZone } from "../domain/time";
import { queryAll } from "../store/paging";
import { activitiesBetween, dayActivitiesOutput } from "./activities";
import { latestMeasurements, measurementOutput, measurementsBetween, oldestMeasurements, readingsOutput } from "./bodyMeasurements";
import { concernOutput, toConcern } from "./concerns";
import { Access, Annotations, defineTool, timeZone } from "./define";
import { goalOutput, toGoal } from "./goals";
import { journalOutput, journalOn } from "./journal";
import { observationOutput, observationsInProgress } from "./observations";
import { policyOutput, toPolicy } from "./policies";
import { loadProfile, resolveTimeZone, userProfileOutput } from "./users";

// GetUserHolisticData: the coach's context in one call. Every section is read for the signed-in
// user only, in parallel, and "today"/"yesterday" are the user's dates in their time zone
// (the original handled only Asia/Tokyo and silently used UTC for any other zone).

/** Days of recent body data and activities: today and the two days before. */
const RECENT_DAYS = 3;

async function queryFiltered<T>(
  context: ToolContext,
  tableName: string,
  filter: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
  map: (item: Record<string, unknown>) => T,
  newestFirst = false,
): Promise<T[]> {
  const items = await queryAll<Record<string, unknown>>(context.db, {
    TableName: tableName,
    KeyConditionExpression: "userId = :userId",
    FilterExpression: filter,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: { ":userId": context.userId, ...values },
    ScanIndexForward: !newestFirst,
  });
  return items.map(map);
}

export const getUserHolisticData = defineTool({
  name: "GetUserHolisticData",
  title: "Get the whole health picture",
  description:
    "Everything a coach needs in one call: profile, active goals and policies, open concerns (ACTIVE or IMPROVED), " +
    "latest and oldest body measurements and those of the last 3 days, activities of the last 3 days, observations in progress " +
    "and yesterday's journal — with 'today' and 'yesterday' in the user's time zone.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    timezone: timeZone()
      .optional()
      .describe("IANA time zone that decides today and yesterday, e.g. Asia/Tokyo. Default: the profile's time zone, else UTC."),
  },
  output: {
    timezone: z.string().describe("The time zone used for the dates below."),
    today: z.string().describe("Today in that zone, YYYY-MM-DD."),
    retrievedAt: z.string().describe("When the data was read (ISO-8601, UTC)."),
    profile: z.object(userProfileOutput).nullable().describe("The profile; null until AddUser has been called."),
    goals: z.array(z.object(goalOutput).describe("An active goal.")).describe("Goals with status active, oldest first."),
    policies: z.array(z.object(policyOutput).describe("An active policy.")).describe("Policies currently followed (isActive true)."),
    concerns: z.array(z.object(concernOutput).describe("An open concern.")).describe("Concerns with status ACTIVE or IMPROVED, newest first."),
    bodyMeasurements: z
      .object({
        latest: z.object(readingsOutput).describe("Per metric, the most recent value."),
        oldest: z.object(readingsOutput).describe("Per metric, the first value ever recorded."),
        recent: z.array(z.object(measurementOutput).describe("A measurement.")).describe("Measurements of the last 3 days (today included), newest first."),
      })
      .describe("Body measurements."),
    activities: z.array(dayActivitiesOutput).describe("Days of the last 3 (today included) that have activities, oldest first."),
    observationsInProgress: z.array(z.object(observationOutput).describe("An observation in progress.")).describe("Observations in progress, by start."),
    yesterdayJournal: journalOutput.nullable().describe("Yesterday's journal entry, or null if none was written."),
  },
  async handler(args, context) {
    const zone = await resolveTimeZone(context, args.timezone);
    const retrievedAt = context.now();
    const today = dateInZone(retrievedAt, zone);
    const firstRecentDay = addDays(today, -(RECENT_DAYS - 1));
    const { fromIso, toIso } = dayRangeInZone(firstRecentDay, today, zone);

    const [profile, goals, policies, concerns, latest, oldest, recent, activities, observations, yesterdayJournal] = await Promise.all([
      loadProfile(context),
      queryFiltered(context, context.tables.goals, "#status = :active", { "#status": "status" }, { ":active": "active" }, toGoal),
      queryFiltered(context, context.tables.policies, "#isActive = :true", { "#isActive": "isActive" }, { ":true": true }, toPolicy),
      queryFiltered(
        context,
        context.tables.concerns,
        "#status IN (:active, :improved)",
        { "#status": "status" },
        { ":active": "ACTIVE", ":improved": "IMPROVED" },
        toConcern,
        true,
      ),
      latestMeasurements(context),
      oldestMeasurements(context),
      measurementsBetween(context, fromIso, toIso),
      activitiesBetween(context, firstRecentDay, today),
      observationsInProgress(context),
      journalOn(context, addDays(today, -1)),
    ]);

    return {
      timezone: zone,
      today,
      retrievedAt: retrievedAt.toISOString(),
      profile: profile ?? null,
      goals,
      policies,
      concerns,
      bodyMeasurements: { latest, oldest, recent },
      activities,
      observationsInProgress: observations,
      yesterdayJournal: yesterdayJournal ?? null,
    };
  },
});

export const holisticTools = [getUserHolisticData];
