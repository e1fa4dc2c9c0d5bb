package io.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TandemCliTest {
  @Test
  void unknownCommand_exitsTwoWithOneLineAndNoStackTrace() {
    StringWriter err = new StringWriter();
    int code = TandemCli.run(new String[] {"no-such-command"}, new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(TandemCli.USER_ERROR, code);
    assertTrue(err.toString().startsWith("tandem: "), err.toString());
    assertFalse(err.toString().contains("\tat "), err.toString());
  }

  @Test
  void help_listsSubcommands() {
    StringWriter out = new StringWriter();
    int code = TandemCli.run(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(new StringWriter()));
    assertEquals(0, code);
    assertTrue(out.toString().contains("schedule"), out.toString());
  }
}
