package io.tandem.cli;

import io.tandem.actors.cluster.WorkerProcesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The worker JVMs of {@code tandem bench chaos}, one per slot: each can be killed, stopped,
 * continued, asked to leave and restarted (a fresh JVM in the same slot). Logs go to
 * {@code logDir/slot-S-G/} (G counts the slot's restarts).
 */
final class ChaosWorkers implements AutoCloseable {
  private final List<String> args;
  private final Path logDir;
  private final List<WorkerProcesses> slots = new ArrayList<>();
  private final int[] generation;

  ChaosWorkers(int count, List<String> args, Path logDir) {
    this.args = List.copyOf(args);
    this.logDir = logDir;
    this.generation = new int[count];
    for (int i = 0; i < count; i++) {
      slots.add(start(i));
    }
  }

  private WorkerProcesses start(int slot) {
    return WorkerProcesses.start(1, TandemCli.class.getName(), args,
        logDir.resolve("slot-" + slot + "-" + generation[slot]));
  }

  synchronized int size() {
    return slots.size();
  }

  synchronized boolean alive(int slot) {
    return slots.get(slot).alive() == 1;
  }

  /** SIGKILL, waiting for the process to end. */
  synchronized void kill(int slot) {
    slots.get(slot).kill(0);
  }

  /** SIGTERM: a graceful leave (coordinated shutdown), not waited for. */
  synchronized void terminate(int slot) {
    slots.get(slot).terminate(0);
  }

  /** Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to the slot's process. */
  synchronized void signal(int slot, String signal) {
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(slots.get(slot).pid(0))).inheritIO().start().waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Ends the slot's process (if it still runs) and starts a fresh worker JVM in its place. */
  synchronized void restart(int slot) {
    slots.get(slot).close();
    generation[slot]++;
    slots.set(slot, start(slot));
  }

  @Override
  public synchronized void close() {
    slots.forEach(WorkerProcesses::close);
  }
}
