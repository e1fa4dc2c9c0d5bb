package io.tandem.schedule;

/** When one op of a simulated schedule ran: on {@code device}, from {@code start} to {@code end}. */
public record OpTiming(int device, Op op, double start, double end) {
  public double duration() {
    return end - start;
  }
}
