/**
 * Typed failures of the release commands. Every expected failure is a `ReleaseError` with a
 * `code`; release/cli.ts maps codes to exit codes in one table (`EXIT_CODES`). Anything else is
 * a bug or an I/O failure and exits 1.
 */
export const ReleaseErrorCode = {
  /** A bad argument or option (weight 150, an unknown environment, --watch on local). */
  InvalidInput: "invalid_input",
  /** The state does not allow the command (canary with nothing staged, promote at weight 0, …). */
  Refused: "refused",
  /** Another command changed the state between this command's read and its write; run it again. */
  StateConflict: "state_conflict",
  /** The state lock stayed held by a live process for the whole wait. */
  StateLocked: "state_locked",
  /** The stored state is not valid JSON or does not match the schema. */
  CorruptState: "corrupt_state",
  /** A CloudWatch alarm of the candidate colour is firing: the weight was not raised. */
  AlarmFiring: "alarm_firing",
  /** `--watch` saw an alarm and rolled the canary back. */
  RolledBack: "rolled_back",
  /** Building or deploying failed (the message says whether the state was saved). */
  ApplyFailed: "apply_failed",
  /** A non-local change was not confirmed (no --yes and no terminal, or the answer was no). */
  NotConfirmed: "not_confirmed",
} as const;
export type ReleaseErrorCode = (typeof ReleaseErrorCode)[keyof typeof ReleaseErrorCode];

export class ReleaseError extends Error {
  constructor(
    readonly code: ReleaseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ReleaseError";
  }
}

/** The stored revision moved since the command read it (optimistic concurrency). */
export class StateConflictError extends ReleaseError {
  constructor(
    readonly expectedRevision: number,
    readonly actualRevision: number,
  ) {
    super(ReleaseErrorCode.StateConflict, `state changed (revision ${expectedRevision} → ${actualRevision}) since this command read it; run it again`);
    this.name = "StateConflictError";
  }
}
