package io.tandem.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class RenderersTest {
  private final Schedule s = new OneFOneB().generate(ScheduleSpec.of(2, 2));
  private final SimulationResult r = Simulator.simulate(s);

  @Test
  void text_placesLabelsAtSimulatedTimes() {
    String text = TextTimeline.render(s, r, false, 0);
    String[] lines = text.split("\n");
    // 3 columns per unit: "F0" + a space over 1 unit needs 3, "BW0" + a space over 2 units needs 2
    assertTrue(lines[0].startsWith("t"), lines[0]);
    assertEquals("d0  |F0 F1 ......BW0   ...BW1   ", lines[1]);
    assertEquals("d1  |...F0 BW0   F1 BW1   ......", lines[2]);
    assertTrue(text.contains("makespan 9  bubble 0.3333"), text);
    assertFalse(text.contains("\u001b["));
  }

  @Test
  void text_colorsOnlyWhenAsked_andMaxWidthShrinks() {
    assertTrue(TextTimeline.render(s, r, true, 0).contains("\u001b[30;44m"));
    String narrow = TextTimeline.render(s, r, false, 9);
    assertEquals("d0  |".length() + 9, narrow.split("\n")[1].length());
  }

  @Test
  void svg_isWellFormedWithOneRectPerOp() throws Exception {
    String svg = SvgTimeline.render(s, r);
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertEquals("svg", doc.getDocumentElement().getTagName());
    assertEquals(r.timings().size(), doc.getElementsByTagName("title").getLength());
  }

  @Test
  void chromeTrace_hasOneProcessPerDeviceAndOneXEventPerOp() throws Exception {
    JsonNode root = new ObjectMapper().readTree(ChromeTrace.render(s, r));
    int x = 0;
    int processes = 0;
    for (JsonNode e : root.get("traceEvents")) {
      if (e.get("ph").asText().equals("X")) {
        x++;
        assertTrue(e.get("dur").asDouble() > 0);
      } else if (e.get("name").asText().equals("process_name")) {
        processes++;
      }
    }
    assertEquals(r.timings().size(), x);
    assertEquals(2, processes);
    JsonNode first = root.get("traceEvents").get(6);
    assertEquals("F0@0", first.get("name").asText());
    assertEquals(0, first.get("ts").asDouble());
    assertEquals(1000, first.get("dur").asDouble());
  }
}
