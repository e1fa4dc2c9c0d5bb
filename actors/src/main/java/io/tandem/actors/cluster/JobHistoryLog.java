package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import io.tandem.actors.admin.JobRecord;
import io.tandem.proto.JobHistory;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One job's events on their way to its submitter, as the job master sees them: each is applied
 * to the job's {@link JobRecord} and the record is written to the {@link JobStore} as the job's
 * history (on the blocking executor, in order: after every progress, start or end event, and
 * after a step at most once per {@link #STEP_WRITE_NANOS}). Thread-safe: the job master, the
 * job's run and store callbacks all tell through it.
 */
final class JobHistoryLog {
  /** Steps alone rewrite the history at most this often. */
  static final long STEP_WRITE_NANOS = 1_000_000_000L;

  private final JobRecord record;
  private final ActorRef<JobEvent> submitter;
  private final JobStore store;
  private final Executor io;
  private long lastWriteNanos = System.nanoTime();

  /**
   * @param record the job's record so far (a new one for a new job)
   * @param store null = nowhere
   */
  JobHistoryLog(JobRecord record, ActorRef<JobEvent> submitter, JobStore store, Executor io) {
    this.record = record;
    this.submitter = submitter;
    this.store = store;
    this.io = io;
  }

  JobRecord record() {
    return record;
  }

  ActorRef<JobEvent> submitter() {
    return submitter;
  }

  /** Records {@code event} and tells the submitter. */
  void tell(JobEvent event) {
    record(event);
    submitter.tell(event);
  }

  /** Applies {@code event} to the record and writes the history when due; the submitter is not told. */
  synchronized void record(JobEvent event) {
    record.on(event);
    long now = System.nanoTime();
    if (event instanceof JobEvent.StepCompleted && now - lastWriteNanos < STEP_WRITE_NANOS) {
      return;
    }
    write(now);
  }

  private void write(long now) {
    lastWriteNanos = now;
    if (store != null) {
      JobHistory h = record.toHistory();
      store.historyLater(h, io);
    }
  }
}
