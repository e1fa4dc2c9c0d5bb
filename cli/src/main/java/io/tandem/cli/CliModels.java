package io.tandem.cli;

import io.tandem.model.ModelShapes;
import io.tandem.model.ModelSpec;

/** {@code --model} for the commands that take no job spec (plan, profile): the one shape parser, its error naming the option. */
final class CliModels {
  private CliModels() {}

  /** The model {@code text} names (a preset or a shape); a bad one is one line naming {@code --model}. */
  static ModelSpec parse(String text) {
    try {
      return ModelShapes.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model " + text + ": " + e.getMessage());
    }
  }
}
