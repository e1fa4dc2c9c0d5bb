package io.tandem.api.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The deploy/ files parse and carry what a deployment needs. */
class DeployFilesTest {
  static final Path DEPLOY = Path.of("..", "deploy");

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> k8s() throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(DEPLOY.resolve("k8s"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(f))) {
          assertTrue(doc instanceof Map, f + ": every document is a mapping");
          Map<String, Object> m = (Map<String, Object>) doc;
          assertNotNull(m.get("apiVersion"), f + ": apiVersion");
          assertNotNull(m.get("kind"), f + ": kind");
          m.put("_file", f.getFileName().toString());
          docs.add(m);
        }
      }
    }
    return docs;
  }

  @SuppressWarnings("unchecked")
  static <T> T at(Object node, String... path) {
    Object o = node;
    for (String key : path) {
      if (o instanceof List<?> list) {
        o = list.get(Integer.parseInt(key));
      } else {
        assertTrue(o instanceof Map, "no '" + key + "' under " + o);
        o = ((Map<String, Object>) o).get(key);
      }
      assertNotNull(o, "missing " + String.join(".", path) + " (at '" + key + "')");
    }
    return (T) o;
  }

  static Map<String, Object> find(List<Map<String, Object>> docs, String kind, String name) {
    return docs.stream().filter(d -> kind.equals(d.get("kind")) && name.equals(at(d, "metadata", "name")))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  @Test
  void workers_areAGpuStatefulSetWithHealthProbes() throws IOException {
    Map<String, Object> workers = find(k8s(), "StatefulSet", "tandem-worker");
    assertEquals("apps/v1", workers.get("apiVersion"));
    assertEquals("tandem", at(workers, "spec", "serviceName"));
    Map<String, Object> labels = at(workers, "spec", "template", "metadata", "labels");
    assertEquals(labels.get("app"), at(workers, "spec", "selector", "matchLabels", "app"));
    Map<String, Object> container = at(workers, "spec", "template", "spec", "containers", "0");
    assertEquals(1, (Integer) at(container, "resources", "requests", "nvidia.com/gpu"));
    assertEquals(1, (Integer) at(container, "resources", "limits", "nvidia.com/gpu"));
    assertEquals("/health/ready", at(container, "readinessProbe", "httpGet", "path"));
    assertEquals("/health/alive", at(container, "livenessProbe", "httpGet", "path"));
    List<String> args = at(container, "args");
    assertEquals("worker", args.get(0));
    assertTrue(args.contains("--bootstrap"), args.toString());
    assertEquals("tandem", at(workers, "spec", "template", "spec", "serviceAccountName"));
  }

  @Test
  void service_isHeadlessAndSelectsThePods() throws IOException {
    Map<String, Object> service = find(k8s(), "Service", "tandem");
    assertEquals("None", at(service, "spec", "clusterIP"));
    assertEquals("tandem", at(service, "spec", "selector", "app"));
    List<Map<String, Object>> ports = at(service, "spec", "ports");
    assertTrue(ports.stream().anyMatch(p -> "management".equals(p.get("name"))));
  }

  @Test
  void rbac_letsTheServiceAccountListPods() throws IOException {
    List<Map<String, Object>> docs = k8s();
    Map<String, Object> role = find(docs, "Role", "tandem-pod-reader");
    Map<String, Object> rule = at(role, "rules", "0");
    assertTrue(((List<?>) rule.get("resources")).contains("pods"));
    assertTrue(((List<?>) rule.get("verbs")).containsAll(List.of("get", "watch", "list")));
    Map<String, Object> binding = find(docs, "RoleBinding", "tandem-read-pods");
    assertEquals("tandem-pod-reader", at(binding, "roleRef", "name"));
    assertEquals("tandem", at(binding, "subjects", "0", "name"));
    find(docs, "ServiceAccount", "tandem");
  }

  @Test
  void configMap_isValidHoconWithKubernetesBootstrap() throws IOException {
    Map<String, Object> cm = find(k8s(), "ConfigMap", "tandem-config");
    Config conf = ConfigFactory.parseString((String) at(cm, "data", "application.conf"))
        .resolveWith(ConfigFactory.parseMap(Map.of("POD_IP", "10.1.2.3", "POD_NAMESPACE", "ml")));
    assertTrue(conf.getBoolean("tandem.management.bootstrap"));
    assertEquals("kubernetes-api",
        conf.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
    assertEquals("10.1.2.3", conf.getString("pekko.management.http.hostname"));
  }

  @Test
  void kustomization_listsEveryManifest() throws IOException {
    Map<String, Object> k = new Yaml(new SafeConstructor(new LoaderOptions()))
        .load(Files.readString(DEPLOY.resolve("k8s/kustomization.yaml")));
    List<String> resources = at(k, "resources");
    try (Stream<Path> files = Files.list(DEPLOY.resolve("k8s"))) {
      List<String> manifests = files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).sorted().toList();
      assertEquals(manifests, resources.stream().sorted().toList());
    }
  }

  @Test
  void dockerfile_startsFromCudaCopiesTheJarAndRunsIt() throws IOException {
    List<String> lines = Files.readAllLines(DEPLOY.resolve("docker/Dockerfile")).stream()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertFalse(froms.isEmpty(), "FROM");
    assertTrue(froms.get(froms.size() - 1).startsWith("FROM nvidia/cuda:"), "final stage on a CUDA base: " + froms);
    assertTrue(lines.stream().anyMatch(l -> l.matches("COPY cli/target/tandem-all\\.jar \\S+")), "COPY of the fat jar");
    String entry = lines.stream().filter(l -> l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
    assertTrue(entry.contains("\"-jar\"") && entry.contains("tandem-all.jar"), entry);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("COPY --from=") && l.contains("java")), "a JRE is copied in");
  }

  @Test
  void everyLauncher_passesTheCipherJitOptions() throws IOException {
    launchers().forEach((file, text) -> io.tandem.actors.transport.CipherJit.OPTIONS.forEach(option ->
        assertTrue(text.contains(option), file + " does not pass " + option)));
  }

  /** Every file that starts a tandem JVM (the tests' argLine included), by name, with its text. */
  private static Map<String, String> launchers() throws IOException {
    return Map.of(
        "tandem", Files.readString(DEPLOY.resolveSibling("tandem")),
        "deploy/docker/Dockerfile", Files.readString(DEPLOY.resolve("docker/Dockerfile")),
        "deploy/gpu-bundle.sh", Files.readString(DEPLOY.resolve("gpu-bundle.sh")),
        "pom.xml (tests)", Files.readString(DEPLOY.resolveSibling("pom.xml")));
  }

  @Test
  void everyLauncher_keepsNewerJdksQuiet() throws IOException {
    List<String> jdk25 = io.tandem.actors.cluster.JdkOptions.forFeature(25);
    launchers().forEach((file, text) -> jdk25.forEach(option ->
        assertTrue(text.contains(option), file + " does not pass " + option)));
    String docker = Files.readString(DEPLOY.resolve("docker/Dockerfile"));
    assertTrue(docker.contains("FROM eclipse-temurin:25-"), "the image's runtime is the JDK the ENTRYPOINT's options are for");
  }

  @Test
  void systemdUnits_startTheCoordinatorAndWorkers() throws IOException {
    String coordinator = Files.readString(DEPLOY.resolve("systemd/tandem-coordinator.service"));
    String worker = Files.readString(DEPLOY.resolve("systemd/tandem-worker@.service"));
    for (String unit : List.of(coordinator, worker)) {
      assertTrue(unit.contains("[Unit]") && unit.contains("[Service]") && unit.contains("[Install]"));
      assertTrue(unit.contains("EnvironmentFile=/etc/tandem/tandem.env"));
    }
    assertTrue(coordinator.contains("ExecStart=/opt/tandem/bin/tandem coordinator"));
    assertTrue(worker.contains("ExecStart=/opt/tandem/bin/tandem worker --seeds ${TANDEM_SEEDS}"));
    assertTrue(worker.contains("CUDA_VISIBLE_DEVICES=%i"));
  }

  @Test
  void configReference_documentsEveryTandemKey() throws IOException {
    String doc = Files.readString(DEPLOY.resolve("CONFIG.md"));
    Config reference = ConfigFactory.parseResources(getClass().getClassLoader(), "reference.conf");
    List<String> missing = new ArrayList<>();
    reference.getConfig("tandem").entrySet().forEach(e -> {
      if (!doc.contains("tandem." + e.getKey())) {
        missing.add("tandem." + e.getKey());
      }
    });
    assertTrue(missing.isEmpty(), "keys missing from deploy/CONFIG.md: " + missing);
  }

  /**
   * The GPU bundle's {@code bin/tandem}, as {@code gpu-bundle.sh} writes it, run with a stand-in
   * {@code runtime/bin/java} that starts as the JVM does with the vector module: the incubator
   * warning is dropped, every other byte of stdout and stderr passes (a progress bar's \r too),
   * the exit code is the JVM's, and the private temp directory is removed.
   */
  @Test
  void gpuBundleLauncher_dropsTheIncubatorWarning_andKeepsTheExitCode() throws Exception {
    String script = Files.readString(DEPLOY.resolve("gpu-bundle.sh"));
    String start = "<<'LAUNCHER'\n";
    int from = script.indexOf(start) + start.length();
    String launcher = script.substring(from, script.indexOf("\nLAUNCHER\n", from) + 1);
    Path bundle = Files.createTempDirectory("bundle-launcher");
    Path tmp = Files.createDirectories(bundle.resolve("tmp"));
    Path bin = Files.createDirectories(bundle.resolve("bin"));
    Path fakeJava = Files.createDirectories(bundle.resolve("runtime/bin")).resolve("java");
    Files.writeString(bin.resolve("tandem"), launcher);
    Files.writeString(fakeJava, """
        #!/usr/bin/env bash
        echo "WARNING: Using incubator modules: jdk.incubator.vector" >&2
        echo "out 1"; printf 'step 1\\rstep 2\\n' >&2; echo "err 1" >&2; echo "out 2"
        exit "${@: -1}"
        """);
    assertTrue(bin.resolve("tandem").toFile().setExecutable(true) && fakeJava.toFile().setExecutable(true));
    for (int code : new int[] {0, 3}) {
      ProcessBuilder pb = new ProcessBuilder("bash", bin.resolve("tandem").toString(), Integer.toString(code));
      pb.environment().put("TMPDIR", tmp.toString());
      pb.redirectOutput(bundle.resolve("out").toFile()).redirectError(bundle.resolve("err").toFile());
      Process p = pb.start();
      assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals(code, p.exitValue());
      assertEquals("out 1\nout 2\n", Files.readString(bundle.resolve("out")));
      assertEquals("step 1\rstep 2\nerr 1\n", Files.readString(bundle.resolve("err")));
      try (Stream<Path> left = Files.list(tmp)) {
        assertEquals(0, left.count(), "the launcher's temp directory is removed");
      }
    }
  }
}
