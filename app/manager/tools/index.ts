import type { ToolDefinition } from "./define";
import { userTools } from "./users";

/** Every HealthManager tool, in the order tools/list shows them. */
export const ALL_TOOLS: readonly ToolDefinition[] = [...userTools] as unknown as readonly ToolDefinition[];
