package io.tandem.actors.admin;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResource;
import static org.apache.pekko.http.javadsl.server.Directives.reject;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The admin HTTP API's routes (JSON): {@code GET /health/alive} and {@code GET /health/ready}
 * (200 once a worker node with devices is up, else 503; the body lists members and devices, see
 * {@link Readiness}) without authentication; everything else requires {@code Authorization: Bearer <token>}
 * (401 otherwise): {@code POST /jobs} (a job spec, see {@link JobSpecJson}; a bad one is 400
 * {@code {"error": "FIELD: REASON", "field": .., "reason": .., "errors": [{"field": .., "reason": ..}, ..]}}
 * with every problem {@link io.tandem.actors.JobSpecValidator} finds, the first in {@code error}),
 * {@code GET /jobs}, {@code GET /jobs/{id}}. More authenticated routes
 * are added with {@link #route(List)}.
 */
public final class AdminRoutes {
  private static final Pattern FIELD = Pattern.compile("^field '([^']+)'");

  private static final String UI = "io/tandem/actors/admin/ui/";

  private final byte[] token;
  private final JobRegistry jobs;
  private final Supplier<CompletionStage<Readiness>> readiness;

  /**
   * @param token the bearer token every non-health request must carry (non-empty)
   * @param jobs where submitted jobs go
   * @param readiness whether the cluster can run a job, and its members (for {@code /health/ready})
   */
  public AdminRoutes(String token, JobRegistry jobs, Supplier<CompletionStage<Readiness>> readiness) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("the admin server needs a non-empty token");
    }
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.jobs = jobs;
    this.readiness = readiness;
  }

  public JobRegistry jobs() {
    return jobs;
  }

  /** Health, jobs, and {@code extra} (each authenticated), in that order. */
  public Route route(List<Route> extra) {
    Route authenticated = extra.isEmpty() ? jobRoutes() : concat(jobRoutes(), extra.toArray(new Route[0]));
    return concat(healthRoutes(), uiRoutes(), authenticated(() -> authenticated));
  }

  private Route healthRoutes() {
    return pathPrefix("health", () -> concat(
        path("alive", () -> get(() -> json(StatusCodes.OK, status("alive")))),
        path("ready", () -> get(() -> completeWithFuture(readiness.get().thenApply(r -> ClusterAdminRoutes.response(
            r.ready() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, r.toJson())))))));
  }

  /**
   * The dashboard's files ({@code /ui/}), shipped in the jar and served without a token: the page
   * asks for the token and sends it with every API call.
   */
  private Route uiRoutes() {
    return pathPrefix("ui", () -> concat(
        pathEndOrSingleSlash(() -> get(() -> getFromResource(UI + "index.html"))),
        path(PathMatchers.segment(), file -> get(() -> file.matches("[a-z0-9-]+\\.(js|css|html)")
            ? getFromResource(UI + file) : reject()))));
  }

  /** {@code inner} when the request carries the bearer token; 401 otherwise. */
  public Route authenticated(Supplier<Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      if (header.isPresent() && header.get().startsWith("Bearer ")
          && MessageDigest.isEqual(token, header.get().substring(7).trim().getBytes(StandardCharsets.UTF_8))) {
        return inner.get();
      }
      return complete(HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
          .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("WWW-Authenticate", "Bearer"))
          .withEntity(ContentTypes.APPLICATION_JSON, error(header.isPresent()
              ? "invalid bearer token" : "missing 'Authorization: Bearer <token>' header").toString()));
    });
  }

  private Route jobRoutes() {
    return pathPrefix("jobs", () -> concat(
        pathEnd(() -> concat(
            post(() -> entity(Unmarshaller.entityToString(), this::submit)),
            get(() -> json(StatusCodes.OK, list())))),
        path(PathMatchers.segment().slash("timeline"), id -> get(() -> {
          Optional<JobRecord> r = jobs.get(id);
          return r.isPresent() ? json(StatusCodes.OK, r.get().timelineJson())
              : json(StatusCodes.NOT_FOUND, error("no job '" + id + "'"));
        })),
        path(PathMatchers.segment(), id -> get(() -> {
          Optional<JobRecord> r = jobs.get(id);
          return r.isPresent() ? json(StatusCodes.OK, r.get().toJson())
              : json(StatusCodes.NOT_FOUND, error("no job '" + id + "'"));
        }))));
  }

  private Route submit(String body) {
    try {
      JobRecord r = jobs.submit(JobSpecJson.parse(body));
      return json(StatusCodes.CREATED, r.toJson());
    } catch (IllegalArgumentException e) {
      ObjectNode err = error(e.getMessage());
      if (e instanceof io.tandem.actors.InvalidJobSpecException bad) {
        err.put("field", bad.field()).put("reason", bad.reason());
        ArrayNode all = err.putArray("errors");
        bad.problems().forEach(p -> all.addObject().put("field", p.field()).put("reason", p.reason()));
      } else {
        field(e.getMessage()).ifPresent(f -> err.put("field", f));
      }
      return json(StatusCodes.BAD_REQUEST, err);
    }
  }

  private ArrayNode list() {
    ArrayNode a = JobSpecJson.mapper().createArrayNode();
    jobs.all().stream().sorted(Comparator.comparing(JobRecord::id)).forEach(r -> {
      ObjectNode o = r.toJson();
      o.remove("events");
      o.remove("spec");
      a.add(o);
    });
    return a;
  }

  /** The job spec field a parse error is about: {@code field 'x'}. */
  static Optional<String> field(String message) {
    if (message == null) {
      return Optional.empty();
    }
    Matcher m = FIELD.matcher(message);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** A JSON response with {@code status}. */
  public static Route json(StatusCode status, JsonNode body) {
    return complete(HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body.toString()));
  }

  private static ObjectNode status(String s) {
    return JobSpecJson.mapper().createObjectNode().put("status", s);
  }

  /** {@code {"error": message}}. */
  public static ObjectNode error(String message) {
    return JobSpecJson.mapper().createObjectNode().put("error", message);
  }
}
