package io.tandem.cli;

import io.tandem.actors.InvalidJobSpecException;
import io.tandem.actors.JobSpecs;
import io.tandem.proto.JobSpec;
import java.util.Map;

/**
 * Checks every field of a job spec the way the cluster would, before anything is printed or
 * computed; a bad field is a one-line {@link UserException} naming the command-line option.
 */
final class JobChecks {
  /** The option that sets each job spec field (fields not listed are named as they are). */
  private static final Map<String, String> OPTIONS = Map.ofEntries(
      Map.entry("jobId", "--job-id"), Map.entry("model", "--model"), Map.entry("dataset", "--dataset"),
      Map.entry("backend", "--backend"), Map.entry("optimizer", "--optimizer"), Map.entry("devices", "--devices"),
      Map.entry("microbatches", "--microbatches"), Map.entry("microbatchSize", "--microbatch-size"),
      Map.entry("steps", "--steps"), Map.entry("learningRate", "--lr"), Map.entry("clipNorm", "--clip"),
      Map.entry("memoryLimit", "--memory-limit"), Map.entry("opMs", "--op-ms"),
      Map.entry("stepTimeoutSeconds", "--step-timeout"), Map.entry("checkpointEvery", "--checkpoint-every"),
      Map.entry("checkpointDir", "--checkpoint-dir"), Map.entry("keepCheckpoints", "--keep-checkpoints"),
      Map.entry("schedule", "--schedule"), Map.entry("deviceMemoryBytes", "--device-memory"));

  private JobChecks() {}

  /** Refuses {@code spec} when any field is bad, naming the option. */
  static void check(JobSpec spec) {
    try {
      JobSpecs.check(spec);
    } catch (InvalidJobSpecException e) {
      throw new UserException(option(e.field()) + ": " + e.reason(), e);
    }
  }

  /** The command-line option of job spec field {@code field}. */
  static String option(String field) {
    return OPTIONS.getOrDefault(field, field);
  }
}
