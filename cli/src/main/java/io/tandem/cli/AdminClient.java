package io.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The CLI's side of the coordinator's admin HTTP API, shared by {@code tandem admin} and
 * {@code tandem submit}: the bearer token and JSON calls whose failures are one-line user errors.
 */
final class AdminClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String base;
  private final String bearer;
  private final Duration timeout;

  /**
   * @param url the admin API's URL (trailing slashes are dropped)
   * @param bearer the token every call carries
   * @param timeout how long one call may take
   */
  AdminClient(String url, String bearer, Duration timeout) {
    this.base = url.replaceAll("/+$", "");
    this.bearer = bearer;
    this.timeout = timeout;
  }

  /** The admin API's URL without trailing slashes. */
  String base() {
    return base;
  }

  /**
   * The bearer token: {@code token}, else the content of {@code tokenFile}, else
   * {@code $TANDEM_ADMIN_TOKEN}.
   */
  static String token(String token, Path tokenFile) {
    if (token != null && !token.isBlank()) {
      return token.trim();
    }
    if (tokenFile != null) {
      try {
        return Files.readString(tokenFile).trim();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read --token-file " + tokenFile + ": " + e.getMessage(), e);
      }
    }
    String env = System.getenv("TANDEM_ADMIN_TOKEN");
    if (env == null || env.isBlank()) {
      throw new UserException("the admin API needs a token: --token, --token-file or $TANDEM_ADMIN_TOKEN");
    }
    return env.trim();
  }

  /**
   * {@code method} on {@code path} (below the base URL) with an optional JSON {@code body}; the
   * answer's JSON, or a {@link UserException} naming the call, the status, the API's error and
   * the field it names when the status is not {@code expected}.
   *
   * @param urlOption the option that gave the URL, named when the URL is malformed
   */
  JsonNode call(String method, String path, String body, int expected, String urlOption) throws InterruptedException {
    HttpRequest request;
    try {
      request = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
          .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
          .build();
    } catch (IllegalArgumentException e) {
      throw new UserException(urlOption + ": not a URL: " + base);
    }
    HttpResponse<String> r;
    try {
      r = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UserException("cannot reach the admin API at " + base + path + ": " + e);
    }
    JsonNode json;
    try {
      json = JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UserException(method + " " + path + ": HTTP " + r.statusCode() + ", not JSON: " + r.body());
    }
    if (r.statusCode() != expected) {
      String field = json.has("field") ? " (field " + json.get("field").asText() + ")" : "";
      throw new UserException(method + " " + path + ": HTTP " + r.statusCode() + ": "
          + json.path("error").asText(r.body()) + field);
    }
    return json;
  }
}
