package io.tandem.planner;

import java.util.List;
import java.util.Locale;

/**
 * A measured all-reduce cost, learned from {@code tandem bench allreduce}: one all-reduce of
 * {@code bytes} over {@code w} replicas takes {@code fixedMs + 2(w-1)/w x bytes / busBytesPerSecond}.
 * Without one the planner assumes the link's bandwidth and latency (a ring at line rate).
 *
 * @param busBytesPerSecond the bus bandwidth the all-reduce reached (bytes a replica sends, per second)
 * @param fixedMs the fixed cost of one all-reduce (latency, hand-offs)
 * @param source where it was learned (a file, or "link"), for the planner's explanation
 */
public record AllReduceCost(double busBytesPerSecond, double fixedMs, String source) {
  public AllReduceCost {
    if (!(busBytesPerSecond > 0) || Double.isInfinite(busBytesPerSecond)) {
      throw new IllegalArgumentException("all-reduce bus bandwidth must be > 0 bytes/s, got " + busBytesPerSecond);
    }
    if (!(fixedMs >= 0) || Double.isInfinite(fixedMs)) {
      throw new IllegalArgumentException("all-reduce fixed cost must be >= 0 ms, got " + fixedMs);
    }
  }

  /** One measured all-reduce: {@code bytes} over {@code replicas} replicas in {@code seconds}. */
  public record Measurement(int replicas, double bytes, double seconds) {
    public Measurement {
      if (replicas < 2 || !(bytes > 0) || !(seconds > 0)) {
        throw new IllegalArgumentException("an all-reduce measurement needs replicas >= 2, bytes > 0 and seconds > 0,"
            + " got " + replicas + ", " + bytes + ", " + seconds);
      }
    }

    /** The bytes each replica sends: {@code 2(D-1)/D x bytes}. */
    double busBytes() {
      return 2.0 * (replicas - 1) / replicas * bytes;
    }
  }

  /** Milliseconds for one all-reduce of {@code bytes} over {@code width} replicas (0 for one replica). */
  public double ms(long bytes, int width) {
    if (width <= 1 || bytes == 0) {
      return 0;
    }
    return fixedMs + 2.0 * (width - 1) / width * bytes / busBytesPerSecond * 1e3;
  }

  /**
   * Fits {@code seconds = fixed + busBytes / bandwidth} to the measurements by least squares; one
   * measurement, or sizes too alike to separate the two, give the bandwidth alone (fixed 0).
   */
  public static AllReduceCost fit(List<Measurement> points, String source) {
    if (points.isEmpty()) {
      throw new IllegalArgumentException("no all-reduce measurements in " + source);
    }
    int n = points.size();
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (Measurement p : points) {
      double x = p.busBytes();
      double y = p.seconds();
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    double det = n * sxx - sx * sx;
    if (n >= 2 && det > 1e-9 * sxx * n) {
      double slope = (n * sxy - sx * sy) / det; // seconds per bus byte
      double fixed = (sy - slope * sx) / n;
      if (slope > 0 && fixed >= 0) {
        return new AllReduceCost(1 / slope, fixed * 1e3, source);
      }
    }
    return new AllReduceCost(sx / sy, 0, source); // through the origin: total bytes over total time
  }

  /** One line: "all-reduce 812 MiB/s bus + 0.40 ms (from FILE)". */
  public String describe() {
    return String.format(Locale.ROOT, "all-reduce %.0f MiB/s bus + %.2f ms (from %s)", busBytesPerSecond / (1 << 20),
        fixedMs, source);
  }
}
