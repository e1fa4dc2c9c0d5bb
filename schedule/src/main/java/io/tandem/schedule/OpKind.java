package io.tandem.schedule;

/**
 * The kinds of compute op a pipeline schedule is made of (DESIGN.md, "Words").
 *
 * <p>{@code B} is the gradient with respect to the chunk's input, {@code W} the gradient with
 * respect to its weights, {@code BW} both fused (schedules that do not split the backward pass).
 */
public enum OpKind {
  /** Forward pass of one microbatch through one virtual stage. */
  F,
  /** Input-gradient half of the backward pass. */
  B,
  /** Weight-gradient half of the backward pass. */
  W,
  /** Full backward pass: B then W, fused. */
  BW
}
