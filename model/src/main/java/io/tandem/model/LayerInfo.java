package io.tandem.model;

/**
 * What the planner needs to know of one layer for microbatches of a given shape.
 *
 * @param index position in the full model
 * @param name layer name
 * @param parameters trainable scalars (weights take 4 bytes each, gradients as much again)
 * @param stash activation bytes kept per microbatch between the passes
 * @param flops matrix-multiply work of F, B and W per microbatch
 */
public record LayerInfo(int index, String name, long parameters, StashBytes stash, PassFlops flops) {}
