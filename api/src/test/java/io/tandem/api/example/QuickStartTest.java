package io.tandem.api.example;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.api.JobResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class QuickStartTest {
  @Test
  @Timeout(120)
  void quickStart_trainsToTheEnd() throws Exception {
    JobResult result = QuickStart.run(2);
    assertTrue(result.succeeded(), result.toString());
    assertTrue(result.weights().isPresent());
  }
}
