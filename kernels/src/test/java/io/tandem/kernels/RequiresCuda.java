package io.tandem.kernels;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Disables (skips, with the probe's reason) tests that need a CUDA device when there is none. */
public final class RequiresCuda implements ExecutionCondition {
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    CudaAvailability a = CudaAvailability.probe();
    return a.available()
        ? ConditionEvaluationResult.enabled("CUDA device found (" + a.devices() + ")")
        : ConditionEvaluationResult.disabled("CUDA unavailable: " + a.reason());
  }
}
