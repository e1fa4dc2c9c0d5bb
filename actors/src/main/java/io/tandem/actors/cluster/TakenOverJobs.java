package io.tandem.actors.cluster;

import io.tandem.actors.admin.JobRecord;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The jobs a job master on this node found in the job store when it took over (one per
 * {@link ActorSystem}, a Pekko extension): their records, loaded from their histories and kept
 * up to date by the job master, so that this node's admin API shows jobs submitted through
 * another coordinator, with their whole history.
 */
public final class TakenOverJobs implements Extension {

  /** The extension's id; use {@link #get}. */
  public static final ExtensionId<TakenOverJobs> ID = new ExtensionId<>() {
    @Override
    public TakenOverJobs createExtension(ActorSystem<?> system) {
      return new TakenOverJobs();
    }
  };

  private final Map<String, JobRecord> jobs = new ConcurrentHashMap<>();

  private TakenOverJobs() {}

  /** The taken-over jobs of {@code system}'s node. */
  public static TakenOverJobs get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Adds (or replaces) the record of a job taken over. */
  void put(JobRecord record) {
    jobs.put(record.id(), record);
  }

  public Optional<JobRecord> get(String jobId) {
    return Optional.ofNullable(jobs.get(jobId));
  }

  public Collection<JobRecord> all() {
    return List.copyOf(jobs.values());
  }
}
