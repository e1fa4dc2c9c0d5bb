package io.tandem.actors.admin;

import io.tandem.actors.JobSpecs;
import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The jobs submitted through the admin server: validates a spec, hands it to the cluster and
 * keeps a {@link JobRecord} of it, updated from its events.
 */
public final class JobRegistry {
  /** Sends a job to the cluster; every event of the job goes to the consumer. */
  @FunctionalInterface
  public interface Submitter {
    void submit(JobSpec spec, int minNodes, Consumer<JobEvent> onEvent);
  }

  private final Submitter submitter;
  private final Map<String, JobRecord> jobs = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  public JobRegistry(Submitter submitter) {
    this.submitter = submitter;
  }

  /**
   * Validates and submits {@code spec} (an empty job id gets a fresh one; schedule
   * {@code planner} gets the planner's choice). Throws
   * {@link IllegalArgumentException} naming the field for a bad spec or a duplicate id.
   */
  public JobRecord submit(JobSpec spec) {
    if (spec.getJobId().isBlank()) {
      spec = spec.toBuilder().setJobId("job-" + Long.toHexString(System.currentTimeMillis()) + "-"
          + ids.incrementAndGet()).build();
    }
    spec = JobSpecs.prepare(JobSpecs.withDefaults(spec)); // the one validator (InvalidJobSpecException)
    JobRecord record = new JobRecord(spec);
    if (jobs.putIfAbsent(spec.getJobId(), record) != null) {
      throw new IllegalArgumentException("field 'jobId': a job '" + spec.getJobId() + "' was already submitted");
    }
    int minNodes = spec.getMinNodes() > 0 ? spec.getMinNodes() : spec.getDevices();
    submitter.submit(spec, minNodes, record::on);
    return record;
  }

  public Optional<JobRecord> get(String id) {
    return Optional.ofNullable(jobs.get(id));
  }

  public Collection<JobRecord> all() {
    return jobs.values();
  }
}
