package io.tandem.actors.checkpoint;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tandem.actors.blocking.DispatcherGuard;
import io.tandem.proto.CheckpointFile;
import io.tandem.proto.CheckpointManifest;
import io.tandem.proto.LayerFileHeader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory of checkpoints (DESIGN.md "Checkpoints"): {@code step-N/} holds one file per
 * layer ({@link LayerFileHeader} + raw layer state) and {@code manifest.pb}, written last
 * (temp file, fsync, atomic rename). A checkpoint without a valid manifest does not exist;
 * restore checks every file's SHA-256 and falls back to an older checkpoint, naming the bad
 * file, when one is missing or corrupt. Commits keep the newest {@code keep} checkpoints.
 * Thread-safe for writes of distinct files; commits come from one caller (the coordinator).
 * Every method reading or writing files blocks: call it on {@code BlockingExecutors.io()}, never
 * on a dispatcher ({@link DispatcherGuard} throws there).
 */
public final class CheckpointStore {
  /** Format tag of a layer file's payload ({@code io.tandem.model.LayerState}). */
  public static final String FORMAT = "layer-state-v1";
  public static final String MANIFEST = "manifest.pb";
  private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");
  private static final int MAX_HEADER = 1 << 16;

  private final Path root;
  private final int keep;

  /**
   * @param root the store's directory (created when missing)
   * @param keep checkpoints to keep, at least 1
   */
  public CheckpointStore(Path root, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("checkpoints to keep must be >= 1, got " + keep);
    }
    this.root = root;
    this.keep = keep;
  }

  public Path root() {
    return root;
  }

  /** The directory of the checkpoint after {@code step} steps. */
  public Path stepDir(long step) {
    return root.resolve("step-" + step);
  }

  /** File name of a layer's state inside a step directory. */
  public static String layerFileName(int layer) {
    return String.format("layer-%05d.bin", layer);
  }

  /**
   * Writes one layer's state for the checkpoint after {@code step} steps and forces it to
   * disk. Returns the manifest entry (name, size, SHA-256 of the whole file).
   */
  public CheckpointFile writeLayer(String jobId, long step, int layer, byte[] state) {
    DispatcherGuard.assertNotOnDispatcher("writing checkpoint file (fsync, SHA-256)");
    LayerFileHeader header = LayerFileHeader.newBuilder().setJobId(jobId).setStep(step).setLayer(layer)
        .setPayloadBytes(state.length).setFormat(FORMAT).build();
    byte[] h = header.toByteArray();
    ByteBuffer prefix = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(h.length).flip();
    Path dir = stepDir(step);
    Path file = dir.resolve(layerFileName(layer));
    MessageDigest sha = sha256();
    try {
      Files.createDirectories(dir);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        for (ByteBuffer b : new ByteBuffer[] {prefix, ByteBuffer.wrap(h), ByteBuffer.wrap(state)}) {
          sha.update(b.duplicate());
          while (b.hasRemaining()) {
            ch.write(b);
          }
        }
        ch.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint file " + file + ": " + e.getMessage(), e);
    }
    return CheckpointFile.newBuilder().setLayer(layer).setName(file.getFileName().toString())
        .setSha256(HexFormat.of().formatHex(sha.digest())).setBytes(4L + h.length + state.length).build();
  }

  /**
   * Makes the checkpoint of {@code manifest.getStep()} exist: writes its manifest to a temp
   * file, forces it, renames it atomically to {@code manifest.pb} and forces the directory.
   * Then deletes all but the newest {@code keep} committed checkpoints.
   */
  public void commit(CheckpointManifest manifest) {
    DispatcherGuard.assertNotOnDispatcher("committing a checkpoint manifest (fsync)");
    Path dir = stepDir(manifest.getStep());
    Path tmp = dir.resolve(MANIFEST + ".tmp");
    Path target = dir.resolve(MANIFEST);
    try {
      Files.createDirectories(dir);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(manifest.toByteArray());
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the checkpoint directory's file system cannot rename atomically", e);
      }
      forceDirectory(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit checkpoint " + dir + ": " + e.getMessage(), e);
    }
    prune();
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // some platforms cannot open directories; the rename is still atomic
    }
  }

  /** Steps of the committed checkpoints (those with a manifest file), newest first. */
  public List<Long> committedSteps() {
    List<Long> steps = new ArrayList<>();
    for (long s : stepDirs()) {
      if (Files.isRegularFile(stepDir(s).resolve(MANIFEST))) {
        steps.add(s);
      }
    }
    return steps;
  }

  /** Steps of every {@code step-N} directory, newest first. */
  private List<Long> stepDirs() {
    List<Long> steps = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return steps;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path p : ds) {
        Matcher m = STEP_DIR.matcher(p.getFileName().toString());
        if (m.matches() && Files.isDirectory(p)) {
          steps.add(Long.parseLong(m.group(1)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoint directory " + root + ": " + e.getMessage(), e);
    }
    steps.sort(Comparator.reverseOrder());
    return steps;
  }

  /**
   * Deletes the {@code step-N} directories of steps before {@code step} (0: none), as a worker
   * does on its own disk once the coordinator no longer keeps those checkpoints.
   */
  public void deleteBefore(long step) {
    for (long s : stepDirs()) {
      if (s < step) {
        deleteTree(stepDir(s));
      }
    }
  }

  /** Deletes committed checkpoints beyond the newest {@code keep}, and unfinished ones older than those kept. */
  private void prune() {
    List<Long> committed = committedSteps();
    if (committed.isEmpty()) {
      return;
    }
    long oldestKept = committed.get(Math.min(keep, committed.size()) - 1);
    for (long s : stepDirs()) {
      if (s < oldestKept) {
        deleteTree(stepDir(s));
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort: a leftover old checkpoint is harmless
    }
  }

  /**
   * The newest checkpoint whose manifest parses and whose every file is present with the
   * listed SHA-256. Each one skipped is reported to {@code log} with the reason (the file it
   * names and why). Empty when there is none.
   */
  public Optional<Checkpoint> latestValid(Consumer<String> log) {
    return latestValid(log, java.util.Set.of(), false);
  }

  /**
   * {@link #latestValid(Consumer)}, passing over the steps in {@code skip}; with
   * {@code filesOnNodes}, a file missing here whose manifest entry names a node counts as kept on
   * that node's own disk (no shared file system): the node restoring it checks it.
   */
  public Optional<Checkpoint> latestValid(Consumer<String> log, java.util.Set<Long> skip, boolean filesOnNodes) {
    DispatcherGuard.assertNotOnDispatcher("looking for the newest valid checkpoint (file reads, SHA-256)");
    for (long s : stepDirs()) {
      if (skip.contains(s)) {
        continue;
      }
      Path dir = stepDir(s);
      try {
        Checkpoint c = open(dir);
        for (CheckpointFile f : c.manifest().getFilesList()) {
          if (filesOnNodes && !f.getNode().isEmpty() && !Files.exists(dir.resolve(f.getName()))) {
            continue;
          }
          verifiedPayload(dir, f);
        }
        return Optional.of(c);
      } catch (CheckpointException e) {
        log.accept(e.getMessage() + "; falling back to an older checkpoint");
      }
    }
    return Optional.empty();
  }

  /** Reads the checkpoint of {@code step} under {@code root} (for workers restoring their layers). */
  public static Checkpoint read(Path root, long step) {
    return open(root.resolve("step-" + step));
  }

  /** Reads the checkpoint of {@code step} (manifest only; files are checked as they are read). */
  public Checkpoint open(long step) {
    return open(stepDir(step));
  }

  private static Checkpoint open(Path dir) {
    DispatcherGuard.assertNotOnDispatcher("reading a checkpoint manifest");
    Path manifest = dir.resolve(MANIFEST);
    try {
      CheckpointManifest m = CheckpointManifest.parseFrom(Files.readAllBytes(manifest));
      if (m.getFilesCount() == 0 || m.getFilesCount() != m.getLayers()) {
        throw new CheckpointException(manifest + " lists " + m.getFilesCount() + " files for " + m.getLayers() + " layers");
      }
      return new Checkpoint(dir, m);
    } catch (NoSuchFileException e) {
      throw new CheckpointException(dir + " has no " + MANIFEST + " (unfinished checkpoint)");
    } catch (InvalidProtocolBufferException e) {
      throw new CheckpointException(manifest + " is corrupt: " + e.getMessage());
    } catch (IOException e) {
      throw new CheckpointException("cannot read " + manifest + ": " + e.getMessage());
    }
  }

  /**
   * The layer state stored in {@code dir/f.getName()}, after checking the file's SHA-256 and
   * header against the manifest entry. Throws {@link CheckpointException} naming the file.
   */
  public static byte[] verifiedPayload(Path dir, CheckpointFile f) {
    DispatcherGuard.assertNotOnDispatcher("reading and hashing a checkpoint file (SHA-256)");
    Path file = dir.resolve(f.getName());
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new CheckpointException("checkpoint file " + file + " (layer " + f.getLayer() + ") is missing"
          + (f.getNode().isEmpty() ? "" : " here (node " + f.getNode() + " wrote it to its own disk)"));
    } catch (IOException e) {
      throw new CheckpointException("cannot read checkpoint file " + file + ": " + e.getMessage());
    }
    String actual = HexFormat.of().formatHex(sha256().digest(bytes));
    if (!actual.equals(f.getSha256())) {
      throw new CheckpointException("checkpoint file " + file + " (layer " + f.getLayer()
          + ") is corrupt: SHA-256 " + actual + ", manifest says " + f.getSha256());
    }
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      int headerLength = bb.getInt();
      if (headerLength < 0 || headerLength > Math.min(MAX_HEADER, bb.remaining())) {
        throw new CheckpointException("checkpoint file " + file + " has a bad header length " + headerLength);
      }
      LayerFileHeader h = LayerFileHeader.parseFrom(ByteBuffer.wrap(bytes, 4, headerLength));
      int offset = 4 + headerLength;
      if (h.getLayer() != f.getLayer() || h.getPayloadBytes() != bytes.length - offset || !FORMAT.equals(h.getFormat())) {
        throw new CheckpointException("checkpoint file " + file + " does not hold layer " + f.getLayer()
            + " in " + FORMAT + " (header: layer " + h.getLayer() + ", " + h.getPayloadBytes() + " bytes, "
            + h.getFormat() + ")");
      }
      byte[] payload = new byte[bytes.length - offset];
      System.arraycopy(bytes, offset, payload, 0, payload.length);
      return payload;
    } catch (InvalidProtocolBufferException | java.nio.BufferUnderflowException e) {
      throw new CheckpointException("checkpoint file " + file + " has an unreadable header: " + e.getMessage());
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
