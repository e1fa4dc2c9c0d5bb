package io.tandem.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before any work, that the files and directories a command will write can be
 * written: a problem is a one-line {@link UserException} naming the option and the path.
 */
final class OutputPaths {
  private OutputPaths() {}

  /** {@code file} (given by {@code option}; null: not asked for) can be created or overwritten. */
  static void checkFile(Path file, String option) {
    if (file == null) {
      return;
    }
    Path abs = file.toAbsolutePath().normalize();
    if (Files.isDirectory(abs)) {
      throw new UserException(option + " " + file + ": is a directory, not a file");
    }
    if (Files.exists(abs)) {
      if (!Files.isWritable(abs)) {
        throw new UserException(option + " " + file + ": cannot be overwritten (no write permission)");
      }
      return;
    }
    Path parent = abs.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new UserException(option + " " + file + ": directory " + parent + " does not exist");
    }
    if (!Files.isWritable(parent)) {
      throw new UserException(option + " " + file + ": directory " + parent + " is not writable");
    }
  }

  /** Directory {@code dir} (null: not asked for) exists and is writable, or can be created. */
  static void checkDirectory(Path dir, String option) {
    if (dir == null) {
      return;
    }
    Path abs = dir.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing)) {
      throw new UserException(option + " " + dir + ": " + (existing == null ? abs : existing) + " is not a directory");
    }
    if (!Files.isWritable(existing)) {
      throw new UserException(option + " " + dir + ": " + (existing.equals(abs) ? "is" : "cannot be created in " + existing
          + ", which is") + " not writable");
    }
  }
}
