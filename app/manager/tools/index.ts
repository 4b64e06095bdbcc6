import { activitiesTools } from "./activities";
import { bodyMeasurementsTools } from "./bodyMeasurements";
import { concernsTools } from "./concerns";
import type { ToolDefinition } from "./define";
import { goalsTools } from "./goals";
import { holisticTools } from "./holistic";
import { journalTools } from "./journal";
import { observationsTools } from "./observations";
import { policiesTools } from "./policies";
import { userTools } from "./users";

/** Every HealthManager tool, in the order tools/list shows them. */
export const ALL_TOOLS: readonly ToolDefinition[] = [
  ...userTools,
  ...goalsTools,
  ...policiesTools,
  ...concernsTools,
  ...activitiesTools,
  ...bodyMeasurementsTools,
  ...journalTools,
  ...observationsTools,
  ...holisticTools,
] as unknown as readonly ToolDefinition[];
