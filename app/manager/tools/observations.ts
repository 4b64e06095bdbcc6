import type { ToolDefinition } from "./define";

// Placeholder until this domain's tools land; see issue #2.
export const observationsTools: ToolDefinition[] = [];
