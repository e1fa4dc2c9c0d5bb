package io.tandem.model;

import io.tandem.kernels.DeviceBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Serializes one layer's weights, and optionally its optimizer state, to bytes and back
 * (checkpoints store one such blob per layer). Layout, little-endian: magic {@code TNDL},
 * version, layer name, parameter count, then per parameter its name, rows, cols, number of
 * optimizer slots {@code k}, and {@code (1 + k) * rows * cols} floats (values, then each slot).
 */
public final class LayerState {
  private static final int MAGIC = 0x4C444E54; // "TNDL" little-endian
  private static final int VERSION = 1;

  private LayerState() {}

  /** The layer's state as bytes. */
  public static byte[] save(Layer layer, boolean withOptimizerState) {
    List<Parameter> ps = layer.parameters();
    long size = 16L + utf8(layer.name()).length;
    for (Parameter p : ps) {
      int slots = withOptimizerState ? p.optimizerSlots() : 0;
      size += 16L + utf8(p.name()).length + (1L + slots) * p.size() * Float.BYTES;
    }
    ByteBuffer bb = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
    bb.putInt(MAGIC).putInt(VERSION);
    putString(bb, layer.name());
    bb.putInt(ps.size());
    for (Parameter p : ps) {
      int slots = withOptimizerState ? p.optimizerSlots() : 0;
      putString(bb, p.name());
      bb.putInt(p.rows()).putInt(p.cols()).putInt(slots);
      putFloats(bb, p.get());
      if (slots > 0) {
        float[] tmp = new float[Math.toIntExact(p.size())];
        for (DeviceBuffer s : p.optimizerState(slots)) {
          p.backend().download(s, 0, tmp, 0, tmp.length);
          putFloats(bb, tmp);
        }
      }
    }
    return bb.array();
  }

  /** Loads bytes from {@link #save} into the layer; names and shapes must match. */
  public static void load(Layer layer, byte[] bytes) {
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      if (bb.getInt() != MAGIC) {
        throw new IllegalArgumentException("not a Tandem layer state (bad magic)");
      }
      int version = bb.getInt();
      if (version != VERSION) {
        throw new IllegalArgumentException("unsupported layer state version " + version);
      }
      String name = getString(bb);
      if (!name.equals(layer.name())) {
        throw new IllegalArgumentException("state is for layer '" + name + "', not '" + layer.name() + "'");
      }
      List<Parameter> ps = layer.parameters();
      int count = bb.getInt();
      if (count != ps.size()) {
        throw new IllegalArgumentException(layer.name() + ": state has " + count + " parameters, layer has " + ps.size());
      }
      for (Parameter p : ps) {
        String pn = getString(bb);
        int rows = bb.getInt();
        int cols = bb.getInt();
        int slots = bb.getInt();
        if (!pn.equals(p.name()) || rows != p.rows() || cols != p.cols()) {
          throw new IllegalArgumentException("state parameter " + pn + "[" + rows + "x" + cols
              + "] does not match " + p);
        }
        float[] tmp = new float[Math.toIntExact(p.size())];
        getFloats(bb, tmp);
        p.set(tmp);
        if (slots > 0) {
          DeviceBuffer[] state = p.optimizerState(slots);
          for (int s = 0; s < slots; s++) {
            getFloats(bb, tmp);
            p.backend().upload(tmp, 0, state[s], 0, tmp.length);
          }
        }
      }
      if (bb.hasRemaining()) {
        throw new IllegalArgumentException(layer.name() + ": " + bb.remaining() + " trailing bytes in state");
      }
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException(layer.name() + ": layer state is truncated", e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void putString(ByteBuffer bb, String s) {
    byte[] b = utf8(s);
    bb.putInt(b.length).put(b);
  }

  private static String getString(ByteBuffer bb) {
    int n = bb.getInt();
    if (n < 0 || n > bb.remaining()) {
      throw new IllegalArgumentException("corrupt layer state (string length " + n + ")");
    }
    byte[] b = new byte[n];
    bb.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void putFloats(ByteBuffer bb, float[] v) {
    bb.asFloatBuffer().put(v);
    bb.position(bb.position() + v.length * Float.BYTES);
  }

  private static void getFloats(ByteBuffer bb, float[] v) {
    bb.asFloatBuffer().get(v);
    bb.position(bb.position() + v.length * Float.BYTES);
  }
}
