package io.tandem.api;

import io.tandem.actors.cluster.ClusterNode;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client over one cluster member of this JVM (embedded or joined). Runtime events arrive on
 * actor threads and are handed to one event thread, which updates the handles and runs the
 * listeners in order.
 */
final class ClusterClient implements TandemClient, JobHandle.JobControl {
  private final ClusterNode node;
  private final int minNodes;
  private final boolean embedded;
  private final ExecutorService events;
  private final Map<String, JobHandle> jobs = new ConcurrentHashMap<>();
  private final List<JobHandle> order = new ArrayList<>();
  private volatile boolean closed;

  ClusterClient(ClusterNode node, int minNodes, boolean embedded) {
    this.node = node;
    this.minNodes = minNodes;
    this.embedded = embedded;
    this.events = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "tandem-client-events");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public JobHandle submit(JobSpec spec) {
    if (closed) {
      throw new IllegalStateException("this client is closed");
    }
    String id = spec.jobId().orElseGet(() -> "job-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
    JobHandle handle = new JobHandle(id, spec, this);
    if (jobs.putIfAbsent(id, handle) != null) {
      throw new IllegalArgumentException("jobId: this client already submitted a job '" + id + "'");
    }
    synchronized (order) {
      order.add(handle);
    }
    node.submit(spec.toProto(id), minNodes, event -> events.execute(() -> handle.apply(event)));
    return handle;
  }

  @Override
  public List<JobHandle> jobs() {
    synchronized (order) {
      return List.copyOf(order);
    }
  }

  @Override
  public Optional<JobHandle> job(String id) {
    return Optional.ofNullable(jobs.get(id));
  }

  @Override
  public String address() {
    return node.address().toString();
  }

  @Override
  public void cancel(String jobId) {
    node.cancel(jobId, "cancelled by the client at " + address());
  }

  @Override
  public void checkpoint(String jobId) {
    node.checkpoint(jobId);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    node.close();
    String why = embedded ? "the embedded runtime was closed before the job ended"
        : "the client left the cluster before the job ended (it may still run there)";
    events.execute(() -> jobs.values().forEach(h -> h.abandon(why)));
    events.shutdown();
  }
}
