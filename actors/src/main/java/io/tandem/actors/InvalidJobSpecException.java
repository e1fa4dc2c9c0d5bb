package io.tandem.actors;

import java.util.List;

/**
 * A job spec that breaks a rule of {@link JobSpecValidator}. The message is the first problem's
 * {@code FIELD: REASON}; {@link #field()} is the spec field's name as the Java builder and the
 * admin JSON spell it (e.g. {@code microbatches}); {@link #problems()} lists every problem.
 */
public final class InvalidJobSpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient List<JobSpecValidator.Problem> problems;

  public InvalidJobSpecException(String field, String reason) {
    this(List.of(new JobSpecValidator.Problem(field, reason)));
  }

  /** @param problems at least one */
  public InvalidJobSpecException(List<JobSpecValidator.Problem> problems) {
    super(problems.get(0).message());
    this.problems = List.copyOf(problems);
  }

  /** The (first) field at fault. */
  public String field() {
    return problems.get(0).field();
  }

  /** Why it is rejected. */
  public String reason() {
    return problems.get(0).reason();
  }

  /** Every problem found, the first being {@link #field()}'s. */
  public List<JobSpecValidator.Problem> problems() {
    return problems;
  }
}
