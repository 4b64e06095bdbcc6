import { InvalidInputError } from "../../common/errors";

/**
 * Calendar arithmetic on YYYY-MM-DD strings and "today" in a user's IANA time zone.
 * "Today" is always the user's date, not the server's (a Lambda runs in UTC).
 */
const MS_PER_DAY = 86_400_000;

/** The calendar date (YYYY-MM-DD) of `instant` in `timeZone`. */
export function dateInZone(instant: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(instant);
}

/** `date` plus `days` (may be negative). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Whole days from `start` to `end` (end - start). */
export function daysBetween(start: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / MS_PER_DAY);
}

export const MAX_RANGE_DAYS = 365;

/**
 * Checks a date range for the *InRange tools: start ≤ end and at most 365 calendar days,
 * counting both ends. Throws an InvalidInputError that says what to send instead.
 */
export function checkRange(startDate: string, endDate: string, maxDays = MAX_RANGE_DAYS): number {
  if (startDate > endDate) {
    throw new InvalidInputError(`startDate ${startDate} is after endDate ${endDate}; send startDate <= endDate.`);
  }
  const days = daysBetween(startDate, endDate) + 1;
  if (days > maxDays) {
    throw new InvalidInputError(`the range ${startDate}..${endDate} covers ${days} days; at most ${maxDays} days (both ends included) are allowed, so split it into smaller ranges.`);
  }
  return days;
}

// ---------------------------------------------------------------------------------------------
// Instants and zones.

/** UTC offset of `zone` at `instant`, in ms (wall clock minus UTC). */
function zoneOffsetMs(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((candidate) => candidate.type === type)?.value);
  const wallClock = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
  return wallClock - Math.floor(instant / 1000) * 1000;
}

/**
 * The first instant of calendar day `date` (YYYY-MM-DD) in `zone`. Usually local midnight; where a
 * DST change skips midnight (e.g. America/Santiago) it is the first wall-clock time that exists.
 */
export function startOfDayInZone(date: string, zone: string): Date {
  const midnightUtc = Date.parse(`${date}T00:00:00Z`);
  const first = midnightUtc - zoneOffsetMs(midnightUtc, zone);
  const second = midnightUtc - zoneOffsetMs(first, zone);
  const onThatDay = [first, second].filter((candidate) => dateInZone(new Date(candidate), zone) === date).sort((a, b) => a - b);
  return new Date(onThatDay[0] ?? first);
}

/** [from, to) as UTC ISO instants covering the calendar days startDate..endDate in `zone`. */
export function dayRangeInZone(startDate: string, endDate: string, zone: string): { fromIso: string; toIso: string } {
  return { fromIso: startOfDayInZone(startDate, zone).toISOString(), toIso: startOfDayInZone(addDays(endDate, 1), zone).toISOString() };
}

/** An ISO-8601 instant normalised to UTC with millisecond precision, so strings sort by time. */
export function toUtcIso(dateTime: string): string {
  return new Date(dateTime).toISOString();
}
