package io.tandem.api;

import java.util.List;
import java.util.Optional;

/**
 * A connection to a Tandem runtime ({@link Tandem#local} or {@link Tandem#connect}). Submits
 * jobs and tracks the ones it submitted. Closing it stops an embedded runtime (its jobs end as
 * FAILED) or leaves the cluster (jobs there go on; this client stops following them).
 */
public interface TandemClient extends AutoCloseable {

  /**
   * Submits {@code spec}; the job starts once its devices are up. The cluster runs one job at a
   * time: a job submitted while another runs waits (PENDING) in the job master's queue.
   */
  JobHandle submit(JobSpec spec);

  /** The jobs this client submitted, oldest first. */
  List<JobHandle> jobs();

  /** The job with this id, if this client submitted it. */
  Optional<JobHandle> job(String id);

  /** This client's cluster address (e.g. {@code pekko://tandem@127.0.0.1:40123}). */
  String address();

  @Override
  void close();
}
