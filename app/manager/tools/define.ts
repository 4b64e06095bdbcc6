import { z } from "zod";
import { Scope } from "../../common/auth/scopes";
import type { ToolContext } from "../deps";

/** Which scope a tool needs: reads need health.read, anything that changes data health.write. */
export enum Access {
  Read = "read",
  Write = "write",
}

export const SCOPE_FOR_ACCESS: Readonly<Record<Access, Scope>> = {
  [Access.Read]: Scope.HealthRead,
  [Access.Write]: Scope.HealthWrite,
};

export interface ToolAnnotations {
  readonly readOnlyHint: boolean;
  readonly idempotentHint: boolean;
  readonly destructiveHint: boolean;
}

/** Annotation presets so every tool states its nature the same way. */
export const Annotations = {
  read: { readOnlyHint: true, idempotentHint: true, destructiveHint: false },
  create: { readOnlyHint: false, idempotentHint: false, destructiveHint: false },
  /** Partial update that merges: repeating it gives the same state. */
  update: { readOnlyHint: false, idempotentHint: true, destructiveHint: false },
  /** Replaces or overwrites stored values. */
  replace: { readOnlyHint: false, idempotentHint: true, destructiveHint: true },
  delete: { readOnlyHint: false, idempotentHint: true, destructiveHint: true },
} as const satisfies Record<string, ToolAnnotations>;

export interface ToolDefinition<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  /** Tool name as in the original HealthManagerMCP; valid for Bedrock: [a-zA-Z0-9_-]{1,64}. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly access: Access;
  readonly annotations: ToolAnnotations;
  /** Every field needs `.describe(...)`; unknown arguments (e.g. `userId`) are rejected. */
  readonly input: I;
  readonly output: O;
  readonly handler: (args: z.output<z.ZodObject<I>>, context: ToolContext) => Promise<z.input<z.ZodObject<O>>>;
}

/** Identity function that fixes the generic types of a tool definition. */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(definition: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return definition;
}

// ---------------------------------------------------------------------------------------------
// Shared field schemas. Messages name the received value and what is allowed (STYLE §3).

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date YYYY-MM-DD that exists (2025-02-30 is refused). */
export const isoDate = () =>
  z
    .string()
    .refine((value) => DATE_RE.test(value) && isRealDate(value), {
      error: (issue) => `expected a date as YYYY-MM-DD, got ${describeValue(issue.input)}`,
    });

export function isRealDate(value: string): boolean {
  if (!DATE_RE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** A calendar date in the user's time zone, for the per-day records (activities, journal). */
export const localDate = (what: string) => isoDate().describe(`${what}, YYYY-MM-DD (the user's local date).`);

/** An ISO-8601 date-time with an offset or Z (e.g. 2026-12-04T08:30:00+09:00). */
export const isoDateTime = () =>
  z.iso.datetime({ offset: true, error: (issue) => `expected an ISO-8601 date-time with offset, e.g. 2026-12-04T08:30:00Z, got ${describeValue(issue.input)}` });

/** An IANA time zone name such as Asia/Tokyo or America/New_York. */
export const timeZone = () =>
  z.string().refine(isValidTimeZone, { error: (issue) => `unknown time zone ${describeValue(issue.input)}: use an IANA name such as Asia/Tokyo, Europe/Berlin or UTC` });

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/** An id the server assigned earlier (UUID). */
export const entityId = (what: string) =>
  z.uuid({ error: (issue) => `${what} must be the id returned when it was created (a UUID), got ${describeValue(issue.input)}` });

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Input fields every list/range tool takes. */
export const pagingInput = {
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .optional()
    .describe(`Items per page, 1-${MAX_PAGE_SIZE}. Default ${DEFAULT_PAGE_SIZE}.`),
  cursor: z.string().max(2048).optional().describe("nextCursor from the previous page, to get the next page. Omit for the first page."),
};

/** Output field every list/range tool returns. */
export const pagingOutput = {
  nextCursor: z.string().optional().describe("Present when more items exist: pass it as cursor to get the next page."),
};

export const timestamps = {
  createdAt: z.string().describe("When the record was created (ISO-8601, UTC)."),
  updatedAt: z.string().describe("When the record was last changed (ISO-8601, UTC)."),
};

// ---------------------------------------------------------------------------------------------
// Field helpers shared by the domain tools. Messages name the field, what
// was received and what is allowed, so the caller can fix the call (STYLE §3).

/** A string of `min`..`max` characters after trimming surrounding white space. */
export function boundedText(field: string, min: number, max: number) {
  const allowed = min > 0 ? `${min}-${max} characters` : `at most ${max} characters`;
  const text = z
    .string({ error: (issue) => `${field} must be text (${allowed}), got ${describeValue(issue.input)}` })
    .trim()
    .max(max, { error: (issue) => `${field} is too long: ${allowed} allowed, got ${typeof issue.input === "string" ? issue.input.length : "more"}` });
  return min > 0 ? text.min(min, { error: () => `${field} must not be empty or blank: send ${allowed}` }) : text;
}

/** A whole number from 1 to 5 (priority, severity). */
export function oneToFive(field: string) {
  const error = (issue: { input?: unknown }) => `${field} must be a whole number from 1 to 5, got ${describeValue(issue.input)}`;
  return z.number({ error }).int({ error }).min(1, { error }).max(5, { error });
}

/** A `z.enum` whose message lists the allowed values and what was received. */
export function choice<const T extends readonly [string, ...string[]]>(field: string, values: T) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined ? `${field} is required: one of ${values.join(", ")}` : `${field} must be one of ${values.join(", ")}, got ${describeValue(issue.input)}`,
  });
}

/** A short, safe rendering of a received value for error messages (never throws). */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = typeof value;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The stored item without the partition key (the user id never leaves the server) and without unset fields. */
export function withoutUserId(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([name, value]) => name !== "userId" && value !== undefined));
}

