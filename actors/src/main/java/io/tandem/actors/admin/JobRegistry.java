package io.tandem.actors.admin;

import io.tandem.actors.JobSpecs;
import io.tandem.actors.JobEvent;
import io.tandem.proto.JobSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The jobs submitted through the admin server: validates a spec, hands it to the cluster and
 * keeps a {@link JobRecord} of it, updated from its events. It also lists the jobs of another
 * source ({@code takenOver}: those the job master on this node took over from the job store,
 * with their whole history), where it has no record of its own.
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
  private final Function<String, Optional<JobRecord>> takenOver;
  private final Supplier<Collection<JobRecord>> takenOverAll;

  public JobRegistry(Submitter submitter) {
    this(submitter, id -> Optional.empty(), List::of);
  }

  /**
   * @param takenOver the record of a job taken over, by id
   * @param takenOverAll the records of all jobs taken over
   */
  public JobRegistry(Submitter submitter, Function<String, Optional<JobRecord>> takenOver,
      Supplier<Collection<JobRecord>> takenOverAll) {
    this.submitter = submitter;
    this.takenOver = takenOver;
    this.takenOverAll = takenOverAll;
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
    if (takenOver.apply(spec.getJobId()).isPresent() || jobs.putIfAbsent(spec.getJobId(), record) != null) {
      throw new IllegalArgumentException("field 'jobId': a job '" + spec.getJobId() + "' was already submitted");
    }
    int minNodes = spec.getMinNodes() > 0 ? spec.getMinNodes() : spec.getDevices();
    submitter.submit(spec, minNodes, record::on);
    return record;
  }

  public Optional<JobRecord> get(String id) {
    JobRecord own = jobs.get(id);
    return own != null ? Optional.of(own) : takenOver.apply(id);
  }

  public Collection<JobRecord> all() {
    List<JobRecord> all = new ArrayList<>(jobs.values());
    takenOverAll.get().stream().filter(r -> !jobs.containsKey(r.id())).forEach(all::add);
    return all;
  }
}
