package io.tandem.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The committed kernel fatbin ({@code tandem_kernels.fatbin}, built by
 * {@code kernels/build-kernels.sh}) and what it holds: one entry per target (SASS as ELF, or
 * PTX text), and for the PTX the parameter types of every kernel, so launches can be checked
 * against the compiled signatures without a GPU.
 *
 * @param bytes the whole fatbin, as {@code cuModuleLoadData} takes it
 * @param entries its entries in file order
 */
record KernelImage(byte[] bytes, List<Entry> entries) {

  /** Classpath resource of the fatbin. */
  static final String RESOURCE = "/io/tandem/kernels/tandem_kernels.fatbin";
  /** Little-endian magic number at the start of every fatbin. */
  static final int FATBIN_MAGIC = 0xBA55ED50;

  /** Kind of an entry: compiled machine code or PTX for the JIT. */
  enum Kind { SASS, PTX }

  /**
   * One entry.
   *
   * @param kind SASS (an ELF cubin) or PTX
   * @param arch the target, 90 for sm_90 / compute_90
   * @param offset byte offset of the payload in the fatbin
   * @param size payload bytes
   */
  record Entry(Kind kind, int arch, int offset, int size) {}

  /** Loads and parses the fatbin resource. */
  static KernelImage load() {
    try (InputStream in = KernelImage.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("kernel fatbin resource " + RESOURCE + " is missing");
      }
      return parse(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  /**
   * Parses a fatbin: a 16-byte header (magic, version, header size, payload size), then
   * entries, each a header (kind 1 = PTX, 2 = ELF at byte 0; header size at 4; payload size at
   * 8; target at 28) followed by its payload.
   */
  static KernelImage parse(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 16 || b.getInt(0) != FATBIN_MAGIC) {
      throw new IllegalArgumentException("not a fatbin (bad magic)");
    }
    int headerSize = Short.toUnsignedInt(b.getShort(6));
    long payload = b.getLong(8);
    long end = headerSize + payload;
    if (end > bytes.length) {
      throw new IllegalArgumentException("truncated fatbin: header says " + end + " bytes, have " + bytes.length);
    }
    List<Entry> entries = new ArrayList<>();
    int off = headerSize;
    while (off + 32 <= end) {
      int kind = Short.toUnsignedInt(b.getShort(off));
      int entryHeader = b.getInt(off + 4);
      long size = b.getLong(off + 8);
      int arch = b.getInt(off + 28);
      if (entryHeader < 32 || off + entryHeader + size > end) {
        throw new IllegalArgumentException("corrupt fatbin entry at byte " + off);
      }
      if (kind == 1 || kind == 2) {
        entries.add(new Entry(kind == 1 ? Kind.PTX : Kind.SASS, arch, off + entryHeader, (int) size));
      }
      off += entryHeader + (int) size;
    }
    return new KernelImage(bytes, List.copyOf(entries));
  }

  /** The entry for a kind and target, if present. */
  Optional<Entry> find(Kind kind, int arch) {
    return entries.stream().filter(e -> e.kind() == kind && e.arch() == arch).findFirst();
  }

  /** The PTX text of the entry (trailing NULs dropped). */
  String ptx(Entry entry) {
    if (entry.kind() != Kind.PTX) {
      throw new IllegalArgumentException("not a PTX entry: " + entry);
    }
    int len = entry.size();
    while (len > 0 && bytes[entry.offset() + len - 1] == 0) {
      len--;
    }
    return new String(bytes, entry.offset(), len, StandardCharsets.US_ASCII);
  }

  private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
  private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

  /** Kernel name to its PTX parameter types ({@code u32}, {@code u64}, {@code f32}) in order. */
  static Map<String, List<String>> signatures(String ptx) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    Matcher m = ENTRY.matcher(ptx);
    while (m.find()) {
      List<String> types = new ArrayList<>();
      Matcher p = PARAM.matcher(m.group(2));
      while (p.find()) {
        types.add(p.group(1));
      }
      out.put(m.group(1), List.copyOf(types));
    }
    return out;
  }
}
