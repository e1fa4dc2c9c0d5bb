package io.tandem.actors.worker;

import io.tandem.actors.transport.HostTensor;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.BiFunction;
import java.util.function.IntFunction;

/** A {@link StageCompute} that hands every call to another; tests override what they change. */
public class ForwardingStageCompute implements StageCompute {
  protected final StageCompute c;

  public ForwardingStageCompute(StageCompute c) {
    this.c = c;
  }

  @Override
  public HostTensor forward(long step, int mb, int v, int version, HostTensor input) {
    return c.forward(step, mb, v, version, input);
  }

  @Override
  public HostTensor backwardInput(long step, int mb, int v, int version, HostTensor gradOutput) {
    return c.backwardInput(step, mb, v, version, gradOutput);
  }

  @Override
  public void backwardWeight(long step, int mb, int v, int version) {
    c.backwardWeight(step, mb, v, version);
  }

  @Override
  public int heldActivations() {
    return c.heldActivations();
  }

  @Override
  public long heldActivationBytes() {
    return c.heldActivationBytes();
  }

  @Override
  public long peakActivationBytesSinceLastCall() {
    return c.peakActivationBytesSinceLastCall();
  }

  @Override
  public Map<Integer, Double> losses(long step) {
    return c.losses(step);
  }

  @Override
  public SortedMap<Integer, Double> gradientSumSquares() {
    return c.gradientSumSquares();
  }

  @Override
  public float[] stageGradients(int v) {
    return c.stageGradients(v);
  }

  @Override
  public void holdGradients(int group, java.util.Set<Integer> stages) {
    c.holdGradients(group, stages);
  }

  @Override
  public void foldHeldGroups() {
    c.foldHeldGroups();
  }

  @Override
  public void dropGradients(java.util.Set<Integer> stages) {
    c.dropGradients(stages);
  }

  @Override
  public HostTensor backwardInputOnly(long step, int mb, int v, int version, HostTensor gradOutput) {
    return c.backwardInputOnly(step, mb, v, version, gradOutput);
  }

  @Override
  public boolean updatesInsideStep() {
    return c.updatesInsideStep();
  }

  @Override
  public void reduceOverReplicas(BiFunction<Long, float[], float[]> reduce) {
    c.reduceOverReplicas(reduce);
  }

  @Override
  public void setStageGradients(int v, float[] reduced) {
    c.setStageGradients(v, reduced);
  }

  @Override
  public void setStageGradients(int v, float[][] pieces) {
    c.setStageGradients(v, pieces);
  }

  @Override
  public void applyUpdate(long step, double gradScale) {
    c.applyUpdate(step, gradScale);
  }

  @Override
  public SortedMap<Integer, byte[]> layerDigests() {
    return c.layerDigests();
  }

  @Override
  public long stepsApplied() {
    return c.stepsApplied();
  }

  @Override
  public long stateBytes() {
    return c.stateBytes();
  }

  @Override
  public SortedMap<Integer, byte[]> snapshot() {
    return c.snapshot();
  }

  @Override
  public void restore(IntFunction<byte[]> stateOfLayer) {
    c.restore(stateOfLayer);
  }

  @Override
  public void close() {
    c.close();
  }
}
