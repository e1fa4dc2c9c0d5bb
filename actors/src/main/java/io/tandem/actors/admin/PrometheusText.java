package io.tandem.actors.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The admin API's {@code GET /metrics}: cluster and job figures in the Prometheus text format (0.0.4). */
final class PrometheusText {
  private PrometheusText() {}

  static String render(JsonNode cluster, Collection<JobRecord> jobs) {
    StringBuilder out = new StringBuilder();
    Map<String, Integer> byStatus = new TreeMap<>();
    int devices = 0;
    for (JsonNode m : cluster.get("members")) {
      byStatus.merge(m.get("status").asText(), 1, Integer::sum);
      devices += m.get("devices").size();
    }
    header(out, "tandem_cluster_members", "gauge", "cluster members by status");
    byStatus.forEach((status, n) -> out.append("tandem_cluster_members{status=\"").append(status).append("\"} ")
        .append(n).append('\n'));
    header(out, "tandem_cluster_devices", "gauge", "devices offered by worker nodes");
    out.append("tandem_cluster_devices ").append(devices).append('\n');
    var sorted = jobs.stream().sorted(Comparator.comparing(JobRecord::id)).toList();
    header(out, "tandem_job_status", "gauge", "1 for the job's current status");
    for (JobRecord r : sorted) {
      out.append("tandem_job_status{job=\"").append(escape(r.id())).append("\",status=\"").append(r.status())
          .append("\"} 1\n");
    }
    header(out, "tandem_job_steps_completed", "counter", "optimizer steps completed");
    sorted.forEach(r -> sample(out, "tandem_job_steps_completed", r, r.stepsCompleted()));
    header(out, "tandem_job_loss", "gauge", "loss of the last step");
    sorted.stream().filter(r -> !Double.isNaN(r.loss())).forEach(r -> sample(out, "tandem_job_loss", r, r.loss()));
    header(out, "tandem_job_tokens_per_second", "gauge", "tokens per second of the last step");
    sorted.forEach(r -> sample(out, "tandem_job_tokens_per_second", r, r.tokensPerSecond()));
    header(out, "tandem_job_recoveries_total", "counter", "failures the job recovered from");
    sorted.forEach(r -> sample(out, "tandem_job_recoveries_total", r, r.recoveries()));
    header(out, "tandem_job_peak_activation_bytes", "gauge", "peak held activation bytes per device");
    for (JobRecord r : sorted) {
      long[] peaks = r.peakActivationBytes();
      for (int d = 0; d < peaks.length; d++) {
        out.append("tandem_job_peak_activation_bytes{job=\"").append(escape(r.id())).append("\",device=\"").append(d)
            .append("\"} ").append(peaks[d]).append('\n');
      }
    }
    return out.toString();
  }

  private static void header(StringBuilder out, String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void sample(StringBuilder out, String name, JobRecord r, double value) {
    out.append(name).append("{job=\"").append(escape(r.id())).append("\"} ")
        .append(String.format(Locale.ROOT, "%s", value == Math.rint(value) && Math.abs(value) < 1e15
            ? Long.toString((long) value) : Double.toString(value))).append('\n');
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
