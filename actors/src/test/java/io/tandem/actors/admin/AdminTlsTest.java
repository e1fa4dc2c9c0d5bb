package io.tandem.actors.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.actors.TestCertificates;
import io.tandem.actors.cluster.ClusterNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The admin API over HTTPS (optional TLS), with a certificate made for the test. */
@Timeout(90)
class AdminTlsTest {

  static SSLContext trusting(Path trustStore, String password) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(trustStore)) {
      ks.load(in, password.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @Test
  void https_servesTheApiWithTheToken_andPlainHttpIsRefused(@TempDir Path dir) throws Exception {
    TestCertificates.Identity id = TestCertificates.create(dir, "admin", "pw-123456");
    try (ClusterNode node = ClusterNode.start("127.0.0.1", 0, List.of(), List.of("coordinator", "worker"), 1)) {
      AdminServer server = AdminServer.start(node, "127.0.0.1", 0, "tls-token", List.of(),
          AdminServer.tls(id.keyStore(), "pw-123456".toCharArray()));
      try {
        assertTrue(server.url().startsWith("https://"), server.url());
        HttpClient https = HttpClient.newBuilder().sslContext(trusting(id.trustStore(), "pw-123456"))
            .connectTimeout(Duration.ofSeconds(10)).build();
        assertEquals(200, https.send(HttpRequest.newBuilder(URI.create(server.url() + "/health/alive")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(401, https.send(HttpRequest.newBuilder(URI.create(server.url() + "/jobs")).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, https.send(HttpRequest.newBuilder(URI.create(server.url() + "/jobs"))
            .header("Authorization", "Bearer tls-token").build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port() + "/health/alive")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString()));
      } finally {
        server.close();
      }
    }
  }
}
