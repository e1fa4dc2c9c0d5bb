package io.tandem.actors.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Worker JVMs on this machine, started with this JVM's java binary, class path and module
 * flags (so the kernels behave the same in every process). Each writes its output to a log
 * file; {@link #close} destroys them all (forcibly after a grace period).
 */
public final class WorkerProcesses implements AutoCloseable {
  private final List<Process> processes;
  private final List<Path> logs;

  private WorkerProcesses(List<Process> processes, List<Path> logs) {
    this.processes = processes;
    this.logs = logs;
  }

  /**
   * Starts {@code count} JVMs running {@code mainClass} with {@code args}; {@code {i}} in an
   * argument is replaced by the process index. Logs go to {@code logDir/worker-i.log}.
   */
  public static WorkerProcesses start(int count, String mainClass, List<String> args, Path logDir) {
    return start(count, mainClass, List.of(), args, logDir);
  }

  /** Like {@link #start(int, String, List, Path)} with extra JVM options (e.g. {@code -Dtandem.cuda.fake-devices=2}). */
  public static WorkerProcesses start(int count, String mainClass, List<String> jvmOptions, List<String> args,
      Path logDir) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> jvm = new ArrayList<>();
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-modules") || a.startsWith("--add-opens") || a.startsWith("--add-exports")
          || a.startsWith("--enable-preview") || a.startsWith("-Xss")) {
        jvm.add(a);
      }
    }
    List<Process> started = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try {
      logDir.toFile().mkdirs();
      for (int i = 0; i < count; i++) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvm);
        cmd.addAll(io.tandem.actors.transport.CipherJit.OPTIONS);
        cmd.addAll(JdkOptions.forThisJdk());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), mainClass));
        for (String a : args) {
          cmd.add(a.replace("{i}", Integer.toString(i)));
        }
        Path log = logDir.resolve("worker-" + i + ".log");
        logs.add(log);
        started.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
      }
    } catch (IOException e) {
      started.forEach(Process::destroyForcibly);
      throw new UncheckedIOException("cannot start worker JVMs: " + e.getMessage(), e);
    }
    return new WorkerProcesses(started, logs);
  }

  /** This JVM's process id, for workers to watch. */
  public static long selfPid() {
    return ProcessHandle.current().pid();
  }

  public List<Path> logs() {
    return List.copyOf(logs);
  }

  /** Kills worker {@code index} at once (SIGKILL on Unix), as a crash would, and waits for it to end. */
  public void kill(int index) {
    Process p = processes.get(index);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Asks worker {@code index} to stop (SIGTERM on Unix: a graceful leave), without waiting. */
  public void terminate(int index) {
    processes.get(index).destroy();
  }

  /** The operating system's process id of worker {@code index}. */
  public long pid(int index) {
    return processes.get(index).pid();
  }

  /** How many of the workers are still running. */
  public long alive() {
    return processes.stream().filter(Process::isAlive).count();
  }

  @Override
  public void close() {
    processes.forEach(Process::destroy);
    for (Process p : processes) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
