package io.tandem.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * An ordered list of layers: a whole model, or (after {@link #slice}) the chunk of layers one
 * virtual stage runs. Passes run the layers in order (F) or reverse order (B), so running the
 * chunks of a model one after another gives bitwise the same results as running it whole.
 */
public final class Model {
  private final ModelSpec spec;
  private final int first;
  private final List<Layer> layers;

  /**
   * @param first index in the full model of {@code layers.get(0)}
   */
  public Model(ModelSpec spec, int first, List<Layer> layers) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a model needs at least one layer");
    }
    this.spec = spec;
    this.first = first;
    this.layers = List.copyOf(layers);
  }

  public ModelSpec spec() {
    return spec;
  }

  /** Index in the full model of this chunk's first layer. */
  public int firstLayer() {
    return first;
  }

  /** Index in the full model one past this chunk's last layer. */
  public int endLayer() {
    return first + layers.size();
  }

  public int size() {
    return layers.size();
  }

  public List<Layer> layers() {
    return layers;
  }

  /** Whether this chunk starts with the model's first layer (its input is the token ids). */
  public boolean isFirst() {
    return first == 0;
  }

  /** Whether this chunk ends with the model's last layer (its output is the per-row losses). */
  public boolean isLast() {
    return endLayer() == spec.numLayers();
  }

  /** Layers {@code [from, to)} of this model (indices relative to it), sharing the layer objects. */
  public Model slice(int from, int to) {
    if (from < 0 || to > layers.size() || from >= to) {
      throw new IllegalArgumentException("slice [" + from + ", " + to + ") not within 0.." + layers.size());
    }
    return new Model(spec, first + from, layers.subList(from, to));
  }

  /** F through every layer; input is {@code null} for the first chunk; returns an owned tensor. */
  public Tensor forward(Microbatch mb, Tensor input) {
    Tensor cur = input;
    for (Layer l : layers) {
      Tensor next = l.forward(mb, cur);
      if (cur != input) {
        cur.release();
      }
      cur = next;
    }
    return cur;
  }

  /**
   * F through every layer, each layer's stash dropped as soon as it has run: what a recomputing
   * chunk does in F (it keeps only its input, and runs {@link #forward} again before its B).
   * Returns the same tensor as {@link #forward}, owned.
   */
  public Tensor forwardWithoutStash(Microbatch mb, Tensor input) {
    Tensor cur = input;
    for (Layer l : layers) {
      Tensor next = l.forward(mb, cur);
      l.discard(mb.id());
      if (cur != input) {
        cur.release();
      }
      cur = next;
    }
    return cur;
  }

  /**
   * B through every layer in reverse; {@code gradOutput} is {@code null} for the last chunk.
   * Returns the gradient w.r.t. the chunk's input (owned), {@code null} for the first chunk.
   */
  public Tensor backwardInput(Microbatch mb, Tensor gradOutput) {
    Tensor cur = gradOutput;
    for (int i = layers.size() - 1; i >= 0; i--) {
      Tensor next = layers.get(i).backwardInput(mb, cur);
      if (cur != gradOutput) {
        cur.release();
      }
      cur = next;
    }
    return cur;
  }

  /** W of every layer. */
  public void backwardWeight(Microbatch mb) {
    for (Layer l : layers) {
      l.backwardWeight(mb);
    }
  }

  /** B then W. */
  public Tensor backward(Microbatch mb, Tensor gradOutput) {
    Tensor dx = backwardInput(mb, gradOutput);
    backwardWeight(mb);
    return dx;
  }

  /** Drops every layer's stash for this microbatch. */
  public void discard(int microbatch) {
    for (Layer l : layers) {
      l.discard(microbatch);
    }
  }

  /**
   * The loss of a microbatch from the last layer's per-row losses: their sum (in row order, in
   * double) times {@link Microbatch#lossScale()}. Summed over a step's microbatches this is the
   * mean of their mean losses, the quantity whose gradient the backward passes compute.
   */
  public static double loss(Tensor losses, Microbatch mb) {
    float[] l = losses.toArray();
    double s = 0;
    for (float v : l) {
      s += v;
    }
    return s * mb.lossScale();
  }

  /** Runs the whole model without keeping stashes and returns the per-row arg-max tokens. */
  public int[] predict(Microbatch mb) {
    Tensor hidden = hiddenBeforeHead(mb, "predict");
    int[] out = head().predict(hidden);
    hidden.release();
    return out;
  }

  /**
   * Runs the whole model without keeping stashes and returns each row's logits over the
   * vocabulary ({@code rows x vocab}, row-major): what sampling and evaluation read.
   */
  public float[] logits(Microbatch mb) {
    Tensor hidden = hiddenBeforeHead(mb, "logits");
    float[] out = head().hostLogits(hidden);
    hidden.release();
    return out;
  }

  private LmHeadLoss head() {
    return (LmHeadLoss) layers.get(layers.size() - 1);
  }

  /** F through every layer but the head, dropping stashes as it goes. */
  private Tensor hiddenBeforeHead(Microbatch mb, String what) {
    if (!isFirst() || !isLast()) {
      throw new IllegalStateException(what + " needs the whole model, this is layers " + first + ".." + endLayer());
    }
    Tensor cur = null;
    for (int i = 0; i < layers.size() - 1; i++) {
      Tensor next = layers.get(i).forward(mb, cur);
      layers.get(i).discard(mb.id());
      if (cur != null) {
        cur.release();
      }
      cur = next;
    }
    return cur;
  }

  /** All parameters, layer by layer in order. */
  public List<Parameter> parameters() {
    List<Parameter> ps = new ArrayList<>();
    for (Layer l : layers) {
      ps.addAll(l.parameters());
    }
    return ps;
  }

  public long parameterCount() {
    long n = 0;
    for (Layer l : layers) {
      n += l.parameterCount();
    }
    return n;
  }

  public void zeroGrad() {
    for (Layer l : layers) {
      l.zeroGrad();
    }
  }

  /** Each layer's gradient sum of squares, in layer order (combine with {@code GradientClipping}). */
  public double[] gradSumOfSquaresPerLayer() {
    double[] out = new double[layers.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = layers.get(i).gradSumOfSquares();
    }
    return out;
  }

  /** Bytes stashed now by all layers. */
  public long stashedBytes() {
    long n = 0;
    for (Layer l : layers) {
      n += l.stashedBytes();
    }
    return n;
  }

  /** Stash of one microbatch of this shape, summed over the layers. */
  public StashBytes stashBytes(int batchSize, int seqLen) {
    StashBytes s = StashBytes.NONE;
    for (Layer l : layers) {
      s = s.plus(l.stashBytes(batchSize, seqLen));
    }
    return s;
  }

  /** Per-layer parameters, stash and work for microbatches of {@code batchSize} full sequences. */
  public List<LayerInfo> describe(int batchSize) {
    List<LayerInfo> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i);
      out.add(new LayerInfo(first + i, l.name(), l.parameterCount(), l.stashBytes(batchSize, spec.seqLen()),
          l.flops(batchSize, spec.seqLen())));
    }
    return out;
  }

  /** SHA-256 of one layer's weights: its parameters' float32 values, little-endian, in order. */
  public static byte[] layerDigest(Layer layer) {
    MessageDigest md = sha256();
    for (Parameter p : layer.parameters()) {
      float[] v = p.get();
      ByteBuffer bb = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      bb.asFloatBuffer().put(v);
      md.update(bb.array());
    }
    return md.digest();
  }

  /** Per-layer digests of this chunk, in layer order. */
  public List<byte[]> layerDigests() {
    List<byte[]> out = new ArrayList<>();
    for (Layer l : layers) {
      out.add(layerDigest(l));
    }
    return out;
  }

  /**
   * The weights hash: SHA-256 over the per-layer digests in layer order, as hex. Stages can
   * send their layers' digests to one place, so the hash does not depend on the partition.
   */
  public static String combineDigests(List<byte[]> layerDigestsInOrder) {
    MessageDigest md = sha256();
    for (byte[] d : layerDigestsInOrder) {
      md.update(d);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** {@link #combineDigests} of this model's layers. */
  public String weightsSha256() {
    return combineDigests(layerDigests());
  }

  /** Frees every layer's parameters. */
  public void free() {
    for (Layer l : layers) {
      l.free();
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
