/**
 * One structured audit record per tool call: who (the token's `sub`), what (tool), outcome,
 * request id and duration. Never arguments or results — they carry health data.
 */
export type AuditOutcome = "ok" | "invalid_input" | "not_found" | "conflict" | "forbidden" | "error";

export interface AuditRecord {
  readonly time: string;
  readonly type: "audit";
  readonly service: string;
  readonly sub: string;
  readonly tool: string;
  readonly outcome: AuditOutcome;
  readonly requestId: string;
  readonly durationMs: number;
}

export interface AuditSink {
  write(record: AuditRecord): void;
}

/** Writes each record as one JSON line (CloudWatch Logs parses JSON lines into fields). */
export class JsonLineAuditSink implements AuditSink {
  constructor(private readonly out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  write(record: AuditRecord): void {
    this.out(JSON.stringify(record));
  }
}

/** Keeps records in memory: for tests and for callers that batch. */
export class MemoryAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];

  write(record: AuditRecord): void {
    this.records.push(record);
  }
}
