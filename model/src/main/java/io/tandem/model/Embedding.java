package io.tandem.model;

import io.tandem.kernels.Backend;
import io.tandem.kernels.DeviceIntBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Token plus learned position embedding: {@code out[r] = token[ids[r]] + position[r mod T]}.
 * The first layer of a model: it reads {@link Microbatch#inputs()} and has no input gradient.
 * B stashes the output gradient; W scatter-adds it into both tables.
 */
public final class Embedding implements Layer {
  private final String name;
  private final Backend backend;
  private final int vocab;
  private final int width;
  private final int maxSeqLen;
  private final Parameter tokens;
  private final Parameter positions;
  private final Stashes stash;
  private final Map<Long, DeviceIntBuffer> positionIds = new HashMap<>();

  public Embedding(Backend backend, String name, int vocab, int width, int maxSeqLen, double std, SplitMix64 rng) {
    this.name = name;
    this.backend = backend;
    this.vocab = vocab;
    this.width = width;
    this.maxSeqLen = maxSeqLen;
    this.tokens = new Parameter(backend, name + ".token", vocab, width, false);
    this.tokens.set(rng.gaussians(vocab * width, std));
    this.positions = new Parameter(backend, name + ".position", maxSeqLen, width, false);
    this.positions.set(rng.gaussians(maxSeqLen * width, std / 2));
    this.stash = new Stashes(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(tokens, positions);
  }

  public int vocab() {
    return vocab;
  }

  @Override
  public Tensor forward(Microbatch mb, Tensor input) {
    if (input != null) {
      throw new IllegalArgumentException(name + " reads the microbatch's token ids; its input must be null");
    }
    if (mb.seqLen() > maxSeqLen) {
      throw new IllegalArgumentException(name + ": sequence length " + mb.seqLen() + " > " + maxSeqLen);
    }
    int rows = mb.rows();
    Tensor out = Tensor.zeros(backend, rows, width);
    backend.embeddingForward(tokens.value(), mb.inputs(), out.buffer(), rows, width);
    Tensor pos = Tensor.zeros(backend, rows, width);
    backend.embeddingForward(positions.value(), positionIds(mb), pos.buffer(), rows, width);
    backend.add(out.elements(), out.buffer(), pos.buffer(), out.buffer());
    pos.release();
    return out;
  }

  private DeviceIntBuffer positionIds(Microbatch mb) {
    long key = ((long) mb.batchSize() << 32) | mb.seqLen();
    return positionIds.computeIfAbsent(key, k -> {
      int rows = mb.rows();
      int[] ids = new int[rows];
      for (int r = 0; r < rows; r++) {
        ids[r] = r % mb.seqLen();
      }
      DeviceIntBuffer buf = backend.allocateInts(rows);
      backend.uploadInts(ids, 0, buf, 0, rows);
      return buf;
    });
  }

  @Override
  public Tensor backwardInput(Microbatch mb, Tensor dy) {
    stash.keep(mb.id(), "dy", dy);
    return null;
  }

  @Override
  public void backwardWeight(Microbatch mb) {
    Tensor dy = stash.get(mb.id(), "dy");
    int rows = mb.rows();
    backend.embeddingBackward(dy.buffer(), mb.inputs(), tokens.grad(), rows, width);
    backend.embeddingBackward(dy.buffer(), positionIds(mb), positions.grad(), rows, width);
    stash.releaseAll(mb.id());
  }

  @Override
  public void discard(int microbatch) {
    stash.releaseAll(microbatch);
  }

  @Override
  public long stashedBytes() {
    return stash.bytes();
  }

  @Override
  public PassFlops flops(int batchSize, int seqLen) {
    return PassFlops.NONE;
  }

  @Override
  public StashBytes stashBytes(int batchSize, int seqLen) {
    return new StashBytes(0, 0, (long) batchSize * seqLen * width * Float.BYTES);
  }

  @Override
  public void free() {
    Layer.super.free();
    positionIds.values().forEach(backend::free);
    positionIds.clear();
  }
}
