package io.tandem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.InvalidJobSpecException;
import io.tandem.schedule.ScheduleRegistry;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class JobSpecTest {

  static Stream<Arguments> badSpecs() {
    return Stream.of(
        Arguments.of("devices", (UnaryOperator<JobSpec.Builder>) b -> b.devices(0)),
        Arguments.of("microbatches", (UnaryOperator<JobSpec.Builder>) b -> b.microbatches(-1)),
        Arguments.of("microbatchSize", (UnaryOperator<JobSpec.Builder>) b -> b.microbatchSize(0)),
        Arguments.of("steps", (UnaryOperator<JobSpec.Builder>) b -> b.steps(0)),
        Arguments.of("learningRate", (UnaryOperator<JobSpec.Builder>) b -> b.learningRate(Double.NaN)),
        Arguments.of("model", (UnaryOperator<JobSpec.Builder>) b -> b.model("gpt-huge")),
        Arguments.of("dataset", (UnaryOperator<JobSpec.Builder>) b -> b.dataset("imagenet")),
        Arguments.of("optimizer", (UnaryOperator<JobSpec.Builder>) b -> b.optimizer("lion")),
        Arguments.of("backend", (UnaryOperator<JobSpec.Builder>) b -> b.backend("tpu")),
        Arguments.of("schedule", (UnaryOperator<JobSpec.Builder>) b -> b.schedule("no-such")),
        Arguments.of("microbatches", (UnaryOperator<JobSpec.Builder>) b -> b.schedule("interleaved-1f1b").devices(4)
            .microbatches(3)),
        Arguments.of("jobId", (UnaryOperator<JobSpec.Builder>) b -> b.jobId("a b")),
        Arguments.of("clipNorm", (UnaryOperator<JobSpec.Builder>) b -> b.clipNorm(-1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSpecs")
  void build_rejectsABadField_naming(String field, UnaryOperator<JobSpec.Builder> change) {
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> change.apply(JobSpec.builder()).build());
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
  }

  @Test
  void defaults_areThoseOfTandemTrain() {
    JobSpec spec = JobSpec.builder().build();
    assertEquals("gpt-tiny", spec.model());
    assertEquals("1f1b", spec.schedule());
    assertEquals(4, spec.devices());
    assertEquals(8, spec.microbatches());
    assertEquals(20, spec.steps());
    assertEquals(JobSpec.ScheduleChoice.NAMED, spec.scheduleChoice());
    assertTrue(spec.jobId().isEmpty());
  }

  @Test
  void autoSchedule_keepsItsLimit_whichMustBeAtLeastOne() {
    JobSpec spec = JobSpec.builder().devices(4).microbatches(8).autoSchedule(2.5).build();
    assertEquals("auto", spec.schedule());
    assertEquals(2.5, spec.memoryLimit());
    assertEquals("memoryLimit", assertThrows(InvalidJobSpecException.class,
        () -> JobSpec.builder().autoSchedule(0.5).build()).field());
  }

  @Test
  void plannerChooses_picksARegisteredFlushSchedule() {
    JobSpec spec = JobSpec.builder().devices(4).microbatches(8).plannerChooses().build();
    assertEquals(JobSpec.ScheduleChoice.PLANNER, spec.scheduleChoice());
    assertTrue(ScheduleRegistry.names().contains(spec.schedule()), spec.schedule());
    assertTrue(!spec.schedule().contains("2bw"), spec.schedule());
  }

  @Test
  void plannerChooses_gptPreset_getsThePlannersScheduleAndLayerSplit() {
    JobSpec spec = JobSpec.builder().model("gpt-tiny").backend("cpu").devices(4).microbatches(8)
        .plannerChooses().build();
    io.tandem.proto.JobSpec proto = spec.toProto("p");
    assertTrue(ScheduleRegistry.names().contains(spec.schedule()), spec.schedule());
    assertTrue(!spec.schedule().contains("2bw"), spec.schedule());
    assertTrue(proto.getStageBoundariesCount() >= 2, proto.toString());
    assertEquals(0, proto.getStageBoundaries(0));
    assertEquals(io.tandem.model.Presets.byName("gpt-tiny").numLayers(),
        proto.getStageBoundaries(proto.getStageBoundariesCount() - 1));
  }

  @Test
  void plannerChooses_budgetTooSmall_namesDeviceMemory() {
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class, () -> JobSpec.builder()
        .model("gpt-tiny").backend("cpu").devices(4).microbatches(8).deviceMemoryBytes(1024).plannerChooses().build());
    assertEquals("deviceMemoryBytes", e.field());
  }

  @Test
  void plannerChooses_unknownModel_namesTheModelField() {
    InvalidJobSpecException e = assertThrows(InvalidJobSpecException.class,
        () -> JobSpec.builder().model("gpt-huge").plannerChooses().build());
    assertEquals("model", e.field());
  }
}
