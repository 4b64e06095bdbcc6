import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../../common/errors";
import type { ToolContext } from "../deps";
import { deleteExisting, updateExisting } from "../store/existing";
import { filteredQuery } from "../store/filter";
import { queryPage } from "../store/paging";
import { buildSetUpdate, hasChanges } from "../store/update";
import { Access, Annotations, boundedText, choice, DEFAULT_PAGE_SIZE, defineTool, entityId, isoDate, oneToFive, pagingInput, pagingOutput, timestamps, withoutUserId } from "./define";

// Health goals: one item per goal, sort key goalId (UUIDv7, so key order is creation order).

export const GOAL_TYPES = ["longevity", "fitness", "weight", "mental_health", "other"] as const;
export const GOAL_STATUSES = ["active", "achieved", "paused", "cancelled"] as const;
export const DEFAULT_GOAL_PRIORITY = 3;

const LIST_HINT = "Call GetGoals to list your goals and their goalIds.";

const goalFields = {
  title: boundedText("title", 1, 200).describe("Short name of the goal, 1-200 characters, e.g. 'Reach 60 kg'."),
  description: boundedText("description", 0, 2000).describe("Details of the goal: why, how, milestones. At most 2000 characters."),
  targetValue: boundedText("targetValue", 0, 100).describe("The value to reach, free text with its unit, e.g. '60kg' or '10000 steps/day'. At most 100 characters."),
  targetDate: isoDate().describe("Date by which the goal should be reached, YYYY-MM-DD."),
  priority: oneToFive("priority").describe(`Importance from 1 (low) to 5 (high). Default ${DEFAULT_GOAL_PRIORITY}.`),
  status: choice("status", GOAL_STATUSES).describe("active (being pursued), achieved, paused or cancelled."),
};

/** A goal as every goal tool returns it. */
export const goalOutput = {
  goalId: z.string().describe("Id of the goal (pass it to UpdateGoal / DeleteGoal)."),
  goalType: z.enum(GOAL_TYPES).describe("Kind of goal: longevity, fitness, weight, mental_health or other."),
  title: z.string().describe("Short name of the goal."),
  description: z.string().optional().describe("Details of the goal."),
  targetValue: z.string().optional().describe("The value to reach, with its unit."),
  targetDate: z.string().optional().describe("Date by which the goal should be reached, YYYY-MM-DD."),
  priority: z.number().int().min(1).max(5).describe("Importance from 1 (low) to 5 (high)."),
  status: z.enum(GOAL_STATUSES).describe("active, achieved, paused or cancelled."),
  ...timestamps,
};
export type Goal = z.infer<z.ZodObject<typeof goalOutput>>;

export function toGoal(item: Record<string, unknown>): Goal {
  return withoutUserId(item) as Goal;
}

/** The goal's table and key, and NotFound when the signed-in user has no such goal. */
const existingGoal = (context: ToolContext, goalId: string) => ({
  tableName: context.tables.goals,
  key: { userId: context.userId, goalId },
  whenConditionFails: () => NotFoundError.of("Goal", goalId, LIST_HINT),
});

export const addGoal = defineTool({
  name: "AddGoal",
  title: "Add health goal",
  description: "Add a health goal for the signed-in user. New goals start with status 'active'. Returns the goal with its goalId.",
  access: Access.Write,
  annotations: Annotations.create,
  input: {
    goalType: choice("goalType", GOAL_TYPES).describe("Kind of goal: longevity, fitness, weight, mental_health or other. Cannot be changed later."),
    title: goalFields.title,
    description: goalFields.description.optional(),
    targetValue: goalFields.targetValue.optional(),
    targetDate: goalFields.targetDate.optional(),
    priority: goalFields.priority.optional(),
  },
  output: goalOutput,
  async handler(args, context) {
    const timestamp = context.now().toISOString();
    const item = {
      userId: context.userId,
      goalId: context.newId(),
      goalType: args.goalType,
      title: args.title,
      description: args.description,
      targetValue: args.targetValue,
      targetDate: args.targetDate,
      priority: args.priority ?? DEFAULT_GOAL_PRIORITY,
      status: "active" as const,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    await context.db.send(new PutCommand({ TableName: context.tables.goals, Item: item, ConditionExpression: "attribute_not_exists(goalId)" }));
    return toGoal(item);
  },
});

export const updateGoal = defineTool({
  name: "UpdateGoal",
  title: "Update health goal",
  description:
    "Change fields of one of the signed-in user's goals. Only the fields you send change; the others keep their values. " +
    "Send at least one field. goalType cannot be changed: delete the goal and add a new one instead.",
  access: Access.Write,
  annotations: Annotations.update,
  input: {
    goalId: entityId("goalId").describe("Id of the goal to change, as returned by AddGoal or GetGoals."),
    title: goalFields.title.optional(),
    description: goalFields.description.optional(),
    targetValue: goalFields.targetValue.optional(),
    targetDate: goalFields.targetDate.optional(),
    priority: goalFields.priority.optional(),
    status: goalFields.status.optional(),
  },
  output: goalOutput,
  async handler({ goalId, ...fields }, context) {
    if (!hasChanges(fields)) {
      throw new InvalidInputError("Send at least one of title, description, targetValue, targetDate, priority, status to update the goal.");
    }
    const update = buildSetUpdate({ ...fields, updatedAt: context.now().toISOString() });
    return toGoal(await updateExisting(context.db, { ...existingGoal(context, goalId), update }));
  },
});

export const deleteGoal = defineTool({
  name: "DeleteGoal",
  title: "Delete health goal",
  description: "Delete one of the signed-in user's goals. Returns the deleted goal. This cannot be undone.",
  access: Access.Write,
  annotations: Annotations.delete,
  input: {
    goalId: entityId("goalId").describe("Id of the goal to delete, as returned by AddGoal or GetGoals."),
  },
  output: goalOutput,
  async handler({ goalId }, context) {
    return toGoal(await deleteExisting(context.db, existingGoal(context, goalId)));
  },
});

export const getGoals = defineTool({
  name: "GetGoals",
  title: "List health goals",
  description: "List the signed-in user's goals, oldest first, one page at a time. Optionally only goals of one status and/or one goalType.",
  access: Access.Read,
  annotations: Annotations.read,
  input: {
    status: goalFields.status.optional().describe("Only goals with this status: active, achieved, paused or cancelled. Omit for all."),
    goalType: choice("goalType", GOAL_TYPES).optional().describe("Only goals of this kind: longevity, fitness, weight, mental_health or other. Omit for all."),
    ...pagingInput,
  },
  output: {
    goals: z.array(z.object(goalOutput).describe("One goal.")).describe("The goals on this page, oldest first."),
    ...pagingOutput,
  },
  async handler({ status, goalType, limit, cursor }, context) {
    const page = await queryPage<Record<string, unknown>>({
      client: context.db,
      input: filteredQuery({ tableName: context.tables.goals, userId: context.userId, equals: { status, goalType } }),
      userId: context.userId,
      partitionKey: "userId",
      keyNames: ["userId", "goalId"],
      limit: limit ?? DEFAULT_PAGE_SIZE,
      cursor,
    });
    return { goals: page.items.map(toGoal), nextCursor: page.nextCursor };
  },
});

export const goalsTools = [addGoal, updateGoal, deleteGoal, getGoals];
