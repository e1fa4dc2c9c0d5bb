package io.tandem.actors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Self-signed certificates for tests, made with the JDK's keytool. */
public final class TestCertificates {
  private TestCertificates() {}

  /**
   * A self-signed RSA key pair {@code dir/NAME.p12} (alias NAME, CN=NAME, SAN IP 127.0.0.1) and a
   * trust store {@code dir/NAME-trust.p12} holding its certificate, both PKCS12 with {@code password}.
   */
  public static Identity create(Path dir, String name, String password) throws IOException, InterruptedException {
    Path keys = dir.resolve(name + ".p12");
    Path cert = dir.resolve(name + ".cer");
    Path trust = dir.resolve(name + "-trust.p12");
    keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
        "-keystore", keys.toString(), "-storepass", password, "-keypass", password);
    keytool("-exportcert", "-alias", name, "-keystore", keys.toString(), "-storepass", password, "-file", cert.toString());
    keytool("-importcert", "-noprompt", "-alias", name, "-file", cert.toString(), "-storetype", "PKCS12",
        "-keystore", trust.toString(), "-storepass", password);
    return new Identity(keys, trust, password);
  }

  /** A key store and the trust store that trusts it. */
  public record Identity(Path keyStore, Path trustStore, String password) {}

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }
}
