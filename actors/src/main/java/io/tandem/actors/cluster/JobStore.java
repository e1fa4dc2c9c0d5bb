package io.tandem.actors.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tandem.actors.blocking.DispatcherGuard;
import io.tandem.proto.JobHistory;
import io.tandem.proto.RunningJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Stream;

/**
 * Where the job master records the jobs it runs (one {@code running-job-<id>.pb} each, in a
 * directory every coordinator-role node reaches; a {@code running-job.pb} of an older version is
 * still read), so that the job master that takes over when the singleton moves resumes them
 * from their last checkpoints. Next to it, each job's status and event history
 * ({@code job-history-<id>.pb}, a {@link JobHistory}; kept once the job ended), so that job
 * master shows the whole history. Written atomically (temp file, fsync, rename).
 * Actors use {@link #recordLater}, {@link #historyLater} and {@link #clearLater}, which run on a
 * blocking executor in the order they were asked for.
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

  /** Records {@code job} as a running one. */
  public void record(RunningJob job) {
    DispatcherGuard.assertNotOnDispatcher("recording the running job (fsync)");
    write(fileOf(job.getSpec().getJobId()), job.toByteArray(), "the running job");
  }

  /** Records {@code history} as its job's latest status and event history (replacing the one before). */
  public void recordHistory(JobHistory history) {
    DispatcherGuard.assertNotOnDispatcher("recording the job's history (fsync)");
    write(historyFileOf(history.getSpec().getJobId()), history.toByteArray(), "the job's history");
  }

  private void write(Path file, byte[] bytes, String what) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(dir);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record " + what + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** {@link #recordHistory} on {@code io}, after the writes asked for before; never completes exceptionally. */
  public synchronized CompletableFuture<Void> historyLater(JobHistory history, Executor io) {
    return then(() -> recordHistory(history), io);
  }

  /** Deletes job {@code jobId}'s history on {@code io}, after the writes asked for before. */
  public synchronized CompletableFuture<Void> forgetHistoryLater(String jobId, Executor io) {
    return then(() -> {
      try {
        Files.deleteIfExists(historyFileOf(jobId));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + historyFileOf(jobId) + ": " + e.getMessage(), e);
      }
    }, io);
  }

  /**
   * A job's recorded history: {@code history} (null when none is recorded or the file cannot be
   * read), and {@code problem}, one line saying why it could not be read (empty when it could).
   */
  public record StoredHistory(JobHistory history, String problem) {}

  /** The history recorded for {@code jobId}. */
  public StoredHistory history(String jobId) {
    Path f = historyFileOf(jobId);
    try {
      JobHistory h = JobHistory.parseFrom(Files.readAllBytes(f));
      if (!h.getSpec().getJobId().equals(jobId)) {
        return new StoredHistory(null, f + " is corrupt: it holds job '" + h.getSpec().getJobId() + "'");
      }
      return new StoredHistory(h, "");
    } catch (NoSuchFileException e) {
      return new StoredHistory(null, "");
    } catch (IOException e) { // InvalidProtocolBufferException included
      return new StoredHistory(null, f + " is corrupt: " + e.getMessage());
    }
  }

  /**
   * Every readable recorded history but those of the jobs {@code except}, by file name; an
   * unreadable one is logged and skipped.
   */
  public List<JobHistory> historiesAll(java.util.Set<String> except) {
    java.util.Set<Path> skipped = new java.util.HashSet<>();
    except.forEach(id -> skipped.add(historyFileOf(id)));
    return readAll("job-history-.*\\.pb", skipped, JobHistory::parseFrom, false);
  }

  /** A record file's parser. */
  private interface Parser<T> {
    T parse(byte[] bytes) throws InvalidProtocolBufferException;
  }

  /**
   * The records of the files of {@link #dir} whose names match {@code pattern} (but {@code skipped}),
   * by file name: a file deleted meanwhile is left out, a corrupt one logged and skipped, one that
   * cannot be read logged and skipped too, or ({@code strict}) thrown.
   */
  private <T> List<T> readAll(String pattern, java.util.Set<Path> skipped, Parser<T> parser, boolean strict) {
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(f -> f.getFileName().toString().matches(pattern) && !skipped.contains(f)).sorted().toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    List<T> all = new ArrayList<>();
    for (Path f : files) {
      try {
        all.add(parser.parse(Files.readAllBytes(f)));
      } catch (NoSuchFileException e) {
        // deleted meanwhile (the job ended, or its history was forgotten)
      } catch (InvalidProtocolBufferException e) {
        LOG.error("{} is corrupt: {}", f, e.getMessage());
      } catch (IOException e) {
        if (strict) {
          throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
        LOG.error("cannot read {}: {}", f, e.getMessage());
      }
    }
    return all;
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

  /** A running job, if one is recorded (the first by file name). */
  public Optional<RunningJob> running() {
    return runningAll().stream().findFirst();
  }

  /** Every recorded running job, by file name; a corrupt record is logged and skipped. */
  public List<RunningJob> runningAll() {
    return readAll("running-job.*\\.pb", java.util.Set.of(), RunningJob::parseFrom, true);
  }

  /** The job ended: nothing to resume. */
  public void clear(String jobId) {
    try {
      Files.deleteIfExists(fileOf(jobId));
      Path legacy = dir.resolve(FILE);
      if (Files.exists(legacy) && RunningJob.parseFrom(Files.readAllBytes(legacy)).getSpec().getJobId().equals(jobId)) {
        Files.deleteIfExists(legacy);
      }
    } catch (IOException | RuntimeException e) {
      // best effort: a stale record is checked against the job's checkpoints on resume
    }
  }

  private Path fileOf(String jobId) {
    return dir.resolve("running-job-" + fileName(jobId) + ".pb");
  }

  private Path historyFileOf(String jobId) {
    return dir.resolve("job-history-" + fileName(jobId) + ".pb");
  }

  private static String fileName(String jobId) {
    return jobId.replaceAll("[^A-Za-z0-9_.-]", "_");
  }
}
