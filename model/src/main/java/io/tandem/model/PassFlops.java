package io.tandem.model;

/**
 * Matrix-multiply floating-point operations of one layer's passes for one microbatch
 * (elementwise work is not counted): the planner's relative cost of F, B and W.
 */
public record PassFlops(double forward, double backwardInput, double backwardWeight) {
  public static final PassFlops NONE = new PassFlops(0, 0, 0);

  public PassFlops plus(PassFlops o) {
    return new PassFlops(forward + o.forward, backwardInput + o.backwardInput, backwardWeight + o.backwardWeight);
  }
}
