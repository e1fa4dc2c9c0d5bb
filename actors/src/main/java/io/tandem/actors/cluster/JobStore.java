package io.tandem.actors.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tandem.actors.blocking.DispatcherGuard;
import io.tandem.proto.RunningJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Where the job master records the job it runs ({@code running-job.pb} in a directory every
 * coordinator-role node reaches), so that the job master that takes over when the singleton
 * moves resumes it from its last checkpoint. Written atomically (temp file, fsync, rename).
 * Actors use {@link #recordLater} and {@link #clearLater}, which run on a blocking executor in
 * the order they were asked for.
 */
public final class JobStore {
  private static final String FILE = "running-job.pb";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobStore.class);
  private final Path dir;
  /** The last write asked for: the next one runs after it. */
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

  public JobStore(Path dir) {
    this.dir = dir;
  }

  /** Records {@code job} as the running one. */
  public void record(RunningJob job) {
    DispatcherGuard.assertNotOnDispatcher("recording the running job (fsync)");
    Path tmp = dir.resolve(FILE + ".tmp");
    try {
      Files.createDirectories(dir);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap(job.toByteArray()));
        ch.force(true);
      }
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the running job in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** {@link #record} on {@code io}, after the writes asked for before; a failure is logged (never completes exceptionally). */
  public synchronized CompletableFuture<Void> recordLater(RunningJob job, Executor io) {
    return then(() -> record(job), io);
  }

  /** {@link #clear} on {@code io}, after the writes asked for before; never completes exceptionally. */
  public synchronized CompletableFuture<Void> clearLater(String jobId, Executor io) {
    return then(() -> clear(jobId), io);
  }

  private CompletableFuture<Void> then(Runnable write, Executor io) {
    tail = tail.thenRunAsync(write, io).exceptionally(e -> {
      Throwable c = e.getCause() != null ? e.getCause() : e;
      LOG.warn("{}", c.getMessage());
      return null;
    });
    return tail;
  }

  /** The running job, if one is recorded. */
  public Optional<RunningJob> running() {
    try {
      return Optional.of(RunningJob.parseFrom(Files.readAllBytes(dir.resolve(FILE))));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(dir.resolve(FILE) + " is corrupt: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve(FILE) + ": " + e.getMessage(), e);
    }
  }

  /** The job ended: nothing to resume. */
  public void clear(String jobId) {
    try {
      Optional<RunningJob> r = running();
      if (r.isPresent() && r.get().getSpec().getJobId().equals(jobId)) {
        Files.deleteIfExists(dir.resolve(FILE));
      }
    } catch (IOException | RuntimeException e) {
      // best effort: a stale record is checked against the job's checkpoints on resume
    }
  }
}
