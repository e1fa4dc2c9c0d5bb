package io.tandem.actors.checkpoint;

import com.typesafe.config.Config;
import java.nio.file.Path;

/**
 * Where this node keeps files a job names by path (its checkpoint shards): the path itself, or,
 * with {@code tandem.cluster.disk-root} set ({@code tandem worker --disk-root DIR}), the same
 * path under that directory, as if it were this node's own disk. Nodes then share no file:
 * how several worker processes on one machine behave like nodes without a shared file system.
 *
 * @param root the directory job paths are placed under; null = job paths as they are
 */
public record NodeDisk(Path root) {
  /** Config key of the disk root ("" = none). */
  public static final String CONFIG_KEY = "tandem.cluster.disk-root";

  /** Job paths as they are. */
  public static final NodeDisk SHARED = new NodeDisk(null);

  /** The node disk {@code config} names. */
  public static NodeDisk of(Config config) {
    String root = config.hasPath(CONFIG_KEY) ? config.getString(CONFIG_KEY) : "";
    return root.isBlank() ? SHARED : new NodeDisk(Path.of(root).toAbsolutePath().normalize());
  }

  /** Where job path {@code path} lives on this node. */
  public Path resolve(String path) {
    Path p = Path.of(path).toAbsolutePath().normalize();
    if (root == null) {
      return p;
    }
    return p.getRoot() == null ? root.resolve(p) : root.resolve(p.getRoot().relativize(p));
  }
}
