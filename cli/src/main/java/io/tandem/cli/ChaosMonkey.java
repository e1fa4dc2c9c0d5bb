package io.tandem.cli;

import io.tandem.actors.JobEvent;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The fault injector of {@code tandem bench chaos}: every {@code gapMin..gapMax} seconds (seeded)
 * it waits until the job runs steadily (three steps since anything but a checkpoint happened),
 * then hits one worker still alive, chosen by the seeded random, with one of: {@code kill}
 * (SIGKILL, restarted 2-8 s later), {@code stop-short} (SIGSTOP for 1-3 s), {@code stop-long}
 * (SIGSTOP for 12-16 s, long enough to be downed, then killed and restarted) or {@code leave}
 * (SIGTERM: a graceful leave, restarted once gone). One fault at a time, and only with at least
 * three workers alive, so the job always keeps two. It also watches the job's events.
 */
final class ChaosMonkey {
  private static final Set<String> CALM = Set.of("checkpoint", "checkpoint-skipped", "probe", "node-joined");
  private static final int STEADY_STEPS = 3;

  private final ChaosWorkers workers;
  private final Random random;
  private final double gapMin;
  private final double gapMax;
  private final long injectMillis;
  private final PrintWriter log;
  private final List<String> kinds = new ArrayList<>();
  private volatile int stepsSinceDisturbance;
  private volatile int recoveries;
  private volatile int fromMemory;
  private volatile long lastFaultMs = -1;
  private final List<Double> faultToResumedSeconds = new ArrayList<>();
  private final long t0 = System.nanoTime();

  ChaosMonkey(ChaosWorkers workers, Random random, double gapMin, double gapMax, long injectMillis, PrintWriter log) {
    this.workers = workers;
    this.random = random;
    this.gapMin = gapMin;
    this.gapMax = gapMax;
    this.injectMillis = injectMillis;
    this.log = log;
  }

  /** A job event (any thread). */
  void observe(JobEvent e) {
    if (e instanceof JobEvent.StepCompleted) {
      stepsSinceDisturbance++;
    } else if (e instanceof JobEvent.Progress p && !CALM.contains(p.kind())) {
      stepsSinceDisturbance = 0;
      if (p.kind().equals("restored")) {
        recoveries++;
        if (p.message().contains("from peer memory")) {
          fromMemory++;
        }
      } else if (p.kind().equals("resumed") && lastFaultMs >= 0) {
        synchronized (this) { // the first step after the fault's own recovery, not a restarted worker's re-plan
          faultToResumedSeconds.add((elapsedMs() - lastFaultMs) / 1000.0);
          lastFaultMs = -1;
        }
      }
      say(p.kind() + ": " + p.message());
    }
  }

  /** Injects faults until the injection time is over or {@code end} completes. */
  void run(CompletableFuture<JobEvent> end) {
    try {
      while (!end.isDone() && elapsedMs() < injectMillis) {
        Thread.sleep((long) (1000 * (gapMin + random.nextDouble() * (gapMax - gapMin))));
        while (!end.isDone() && stepsSinceDisturbance < STEADY_STEPS) {
          Thread.sleep(200);
        }
        if (end.isDone() || elapsedMs() >= injectMillis) {
          return;
        }
        List<Integer> alive = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
          if (workers.alive(i)) {
            alive.add(i);
          }
        }
        if (alive.size() < 3) {
          continue;
        }
        inject(alive.get(random.nextInt(alive.size())), random.nextDouble());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void inject(int slot, double kind) throws InterruptedException {
    if (kind < 0.4) {
      fault("kill", slot);
      workers.kill(slot);
      pause(2, 8);
      workers.restart(slot);
      say("slot " + slot + " restarted");
    } else if (kind < 0.6) {
      fault("stop-short", slot);
      workers.signal(slot, "STOP");
      pause(1, 3);
      workers.signal(slot, "CONT");
    } else if (kind < 0.8) {
      fault("stop-long", slot);
      workers.signal(slot, "STOP");
      pause(12, 16);
      workers.signal(slot, "CONT");
      pause(2, 3);
      workers.restart(slot); // downed meanwhile: its cluster does not take it back
      say("slot " + slot + " restarted");
    } else {
      fault("leave", slot);
      workers.terminate(slot);
      for (int i = 0; i < 600 && workers.alive(slot); i++) {
        Thread.sleep(200);
      }
      workers.restart(slot);
      say("slot " + slot + " restarted");
    }
  }

  private void pause(double minS, double maxS) throws InterruptedException {
    Thread.sleep((long) (1000 * (minS + random.nextDouble() * (maxS - minS))));
  }

  private synchronized void fault(String kind, int slot) {
    kinds.add(kind);
    lastFaultMs = elapsedMs();
    say("fault " + kinds.size() + ": " + kind + " of worker slot " + slot);
  }

  private void say(String line) {
    synchronized (log) {
      log.printf(Locale.ROOT, "chaos +%6.1f s: %s%n", elapsedMs() / 1000.0, line);
      log.flush();
    }
  }

  private long elapsedMs() {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  synchronized int injected() {
    return kinds.size();
  }

  synchronized Map<String, Integer> byKind() {
    return BenchChaosCommand.countsOf(kinds);
  }

  /** Seconds from each fault that caused a recovery to the first step completed after it. */
  synchronized List<Double> faultToResumedSeconds() {
    return List.copyOf(faultToResumedSeconds);
  }

  int recoveries() {
    return recoveries;
  }

  int fromMemory() {
    return fromMemory;
  }
}
