package io.tandem.actors.cluster;

import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import io.tandem.proto.RunningJob;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A job's durable status: its current attempt recorded in the {@link JobStore} (so a job master
 * that takes over resumes it), and its end: the record cleared, the job master freed, then the
 * submitter told (its history records the end first). Store writes run on the blocking executor, in order.
 */
final class RunRecord {
  private final JobSpec spec;
  private final int minNodes;
  private final JobHistoryLog events;
  private final String submitterPath;
  private final JobStore store;
  private final ActorRef<JobMaster.Command> master;
  private final Executor io;

  /**
   * @param submitterPath the submitter of {@code events} serialized, for the job master that takes over
   * @param store null = nowhere
   */
  RunRecord(JobSpec spec, int minNodes, JobHistoryLog events, String submitterPath, JobStore store,
      ActorRef<JobMaster.Command> master, Executor io) {
    this.spec = spec;
    this.minNodes = minNodes;
    this.events = events;
    this.submitterPath = submitterPath;
    this.store = store;
    this.master = master;
    this.io = io;
  }

  /** Records that the job runs as {@code attempt}. */
  void attempt(int attempt) {
    if (store != null) {
      store.recordLater(RunningJob.newBuilder().setSpec(spec).setMinNodes(minNodes).setAttempt(attempt)
          .setReplyTo(submitterPath).build(), io);
    }
  }

  /**
   * The job ended with {@code last}: once the job store no longer lists it (nothing is left to
   * resume), the job master is free again and the submitter hears {@code last}.
   */
  void ended(JobEvent last) {
    events.record(last);
    Runnable tell = () -> {
      master.tell(new JobMaster.RunEnded(spec.getJobId()));
      events.submitter().tell(last);
    };
    if (store == null) {
      tell.run();
    } else {
      store.clearLater(spec.getJobId(), io).thenRun(tell);
    }
  }
}
