package io.tandem.actors.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
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

/**
 * Where the job master records the job it runs ({@code running-job.pb} in a directory every
 * coordinator-role node reaches), so that the job master that takes over when the singleton
 * moves resumes it from its last checkpoint. Written atomically (temp file, fsync, rename).
 */
public final class JobStore {
  private static final String FILE = "running-job.pb";
  private final Path dir;

  public JobStore(Path dir) {
    this.dir = dir;
  }

  /** Records {@code job} as the running one. */
  public void record(RunningJob job) {
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
