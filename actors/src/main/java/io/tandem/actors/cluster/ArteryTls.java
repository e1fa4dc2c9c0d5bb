package io.tandem.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Artery over TLS with mutual authentication: every member presents the certificate of its key
 * store and accepts only peers whose certificate its trust store vouches for, so a member
 * without the right certificate cannot join. Pass {@link #config()} to
 * {@link ClusterNode#start(String, int, List, List, int, Config)}, or set the same keys in
 * {@code application.conf} (deploy/CONFIG.md, "Security").
 *
 * @param keyStore PKCS12 (or JKS) key store with this member's key pair and certificate
 * @param keyStorePassword its password (also the key's)
 * @param trustStore the certificates (or CA) of the members to trust
 * @param trustStorePassword its password
 */
public record ArteryTls(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {

  public ArteryTls {
    for (Path p : List.of(keyStore, trustStore)) {
      if (!Files.isReadable(p)) {
        throw new IllegalArgumentException("TLS: cannot read " + p.toAbsolutePath());
      }
    }
  }

  /** Config overrides that switch Artery to {@code tls-tcp} with these stores. */
  public Config config() {
    String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
    return ConfigFactory.empty()
        .withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
        .withValue(engine + "key-store", ConfigValueFactory.fromAnyRef(keyStore.toAbsolutePath().toString()))
        .withValue(engine + "key-store-password", ConfigValueFactory.fromAnyRef(keyStorePassword))
        .withValue(engine + "key-password", ConfigValueFactory.fromAnyRef(keyStorePassword))
        .withValue(engine + "trust-store", ConfigValueFactory.fromAnyRef(trustStore.toAbsolutePath().toString()))
        .withValue(engine + "trust-store-password", ConfigValueFactory.fromAnyRef(trustStorePassword))
        .withValue(engine + "protocol", ConfigValueFactory.fromAnyRef("TLSv1.3"))
        .withValue(engine + "enabled-algorithms",
            ConfigValueFactory.fromIterable(List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256")))
        .withValue(engine + "require-mutual-authentication", ConfigValueFactory.fromAnyRef(true))
        .withValue(engine + "hostname-verification", ConfigValueFactory.fromAnyRef(false));
  }
}
