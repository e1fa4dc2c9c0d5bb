package io.tandem.api;

/** Where a submitted job stands. The last three are final. */
public enum JobStatus {
  /** Submitted; waiting for worker nodes or for its devices to open. */
  PENDING,
  /** Its workers are up and steps are running. */
  RUNNING,
  /** A node failed; the job is re-planning and restoring its last checkpoint. */
  RECOVERING,
  /** All steps ran. */
  SUCCEEDED,
  /** It stopped with an error ({@link JobResult#message()} says which). */
  FAILED,
  /** It was cancelled ({@link JobHandle#cancel()}). */
  CANCELLED;

  /** True for SUCCEEDED, FAILED and CANCELLED. */
  public boolean isFinal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
