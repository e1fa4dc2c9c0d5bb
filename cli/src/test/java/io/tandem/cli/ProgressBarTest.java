package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress line's time-left estimate: from the pace since the first update. */
class ProgressBarTest {
  @Test
  void eta_followsThePaceSinceTheFirstUpdate() {
    StringWriter text = new StringWriter();
    AtomicLong now = new AtomicLong();
    ProgressBar bar = new ProgressBar(new PrintWriter(text), 100, false, now::get);
    bar.update(1, "loss 1.0");
    now.set(10_000_000_000L); // 4 more steps in 10 s: 2.5 s a step
    bar.update(5, "loss 0.9");
    now.set(200_000_000_000L);
    bar.update(100, "loss 0.1");
    String[] lines = text.toString().split("\n");
    assertEquals("[........................] 1/100 loss 1.0", lines[0]);
    assertEquals("[#.......................] 5/100 loss 0.9 eta 3m58s", lines[1]);
    assertEquals("[########################] 100/100 loss 0.1", lines[2]);
  }
}
