package io.tandem.actors.cluster;

import io.tandem.actors.coordinator.RecoveryPlanner;
import io.tandem.proto.JobSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What a job does when its set of nodes changed (a node lost, leaving, or joined): choose the
 * nodes to go on with (the survivors, plus described joiners up to the job's device count),
 * re-plan over their devices through the {@link Replanner} (the {@link RecoveryPlanner}), and,
 * once the newest valid checkpoint is known, say where training restarts. Pure decisions, no
 * actors or files: {@link JobRun} carries them out.
 */
final class RecoveryPolicy {

  /** Re-plans a job over a number of devices ({@link RecoveryPlanner#replan}); throws when nothing fits. */
  @FunctionalInterface
  interface Replanner {
    RecoveryPlanner.Replan replan(int devices, String why);
  }

  /** What to do. */
  sealed interface Decision {}

  /** The job cannot go on: fail it with {@code message}. */
  record GiveUp(String message) implements Decision {}

  /** The devices left cannot hold the job ({@code message} says why): wait for more nodes to join. */
  record WaitForNodes(String message) implements Decision {}

  /**
   * Go on with {@code plan} on {@code nodes} (sorted by address), after taking in
   * {@code joiners} (a subset of {@code nodes}).
   */
  record Replan(List<String> nodes, List<String> joiners, int devices, RecoveryPlanner.Replan plan, double planMillis)
      implements Decision {
    public Replan {
      nodes = List.copyOf(nodes);
      joiners = List.copyOf(joiners);
    }

    /** The {@code re-planned} event's line (before the time since detection). */
    String message() {
      int used = plan.spec().getDevices();
      return String.format(Locale.ROOT, "re-planned to schedule %s on %d device(s)%s because %s (planned in %.0f ms)",
          plan.schedule().name(), used, used < devices ? " of the " + devices + " available" : "", plan.reason(),
          planMillis);
    }
  }

  private final JobSpec spec;
  private final Replanner replanner;
  private final LongSupplier nanoClock;

  RecoveryPolicy(JobSpec spec, Replanner replanner, LongSupplier nanoClock) {
    this.spec = spec;
    this.replanner = replanner;
    this.nanoClock = nanoClock;
  }

  RecoveryPolicy(JobSpec spec, Replanner replanner) {
    this(spec, replanner, System::nanoTime);
  }

  /** The nodes and plan to go on with after {@code why}, given the job's membership. */
  Decision decide(NodeMembership<?> members, String why) {
    long t0 = nanoClock.getAsLong();
    List<String> nodes = new ArrayList<>();
    int devices = 0;
    for (Map.Entry<String, List<Integer>> e : members.survivors().entrySet()) {
      nodes.add(e.getKey());
      devices += e.getValue().size();
    }
    List<String> joiners = new ArrayList<>();
    for (String node : members.readyJoiners()) {
      if (devices >= spec.getDevices()) {
        break;
      }
      nodes.add(node);
      joiners.add(node);
      devices += members.devicesOf(node, spec.getBackend());
    }
    devices = Math.min(devices, spec.getDevices());
    if (nodes.isEmpty()) {
      return new GiveUp("every node of job " + spec.getJobId() + " was lost (" + String.join(", ", members.lostNodes())
          + ")");
    }
    RecoveryPlanner.Replan plan;
    try {
      plan = replanner.replan(devices, why);
    } catch (RecoveryPlanner.NothingFits e) {
      return new WaitForNodes(e.getMessage());
    } catch (RuntimeException e) {
      return new GiveUp("re-planning job " + spec.getJobId() + " over " + devices + " device(s) failed: "
          + e.getMessage());
    }
    java.util.Collections.sort(nodes);
    return new Replan(nodes, joiners, devices, plan, (nanoClock.getAsLong() - t0) / 1e6);
  }

  /**
   * Whether {@code decision} still holds for {@code members}: none of its nodes lost, its
   * joiners still ready, and no node suspect (a suspect is resolved first, then re-decided).
   */
  boolean stillValid(Replan decision, NodeMembership<?> members) {
    List<String> ready = members.readyJoiners();
    return members.noSuspects() && decision.joiners().stream().allMatch(ready::contains)
        && decision.nodes().stream().noneMatch(members::isLost);
  }

  /** Whether the job has a checkpoint directory to look for a checkpoint in. */
  boolean looksForCheckpoints() {
    return !spec.getCheckpointDir().isBlank(); // periodic or on-request checkpoints
  }

  /**
   * Why training restarts from step 0 when {@code restoreStep} is none (negative); empty when a
   * checkpoint is restored. {@code resuming}: the job master moved, rather than a re-plan.
   */
  Optional<String> restartReason(long restoreStep, boolean resuming) {
    if (restoreStep >= 0) {
      return Optional.empty();
    }
    if (resuming) {
      return Optional.of("no checkpoint to resume job " + spec.getJobId() + " from: restarting from step 0");
    }
    return Optional.of(looksForCheckpoints() && spec.getCheckpointEvery() > 0
        ? "no checkpoint yet in " + spec.getCheckpointDir() + " (the first is due after step "
            + spec.getCheckpointEvery() + "): restarting from step 0"
        : "no checkpoint to restore (checkpointing is off for this job): restarting from step 0");
  }
}
