package dev.snakepit.internal.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A throw-away CA, a server certificate for the given IP addresses and a client certificate (openssl CLI). */
public final class TestPki {
  private final Path directory;

  private TestPki(Path directory) {
    this.directory = directory;
  }

  /** Makes the files in {@code directory}; the server certificate names localhost and {@code ips}. */
  public static TestPki create(Path directory, String... ips) throws IOException, InterruptedException {
    var pki = new TestPki(directory);
    var san = new StringBuilder("subjectAltName=DNS:localhost,IP:127.0.0.1");
    for (var ip : ips) {
      san.append(",IP:").append(ip);
    }
    pki.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=snakepit test CA", "-keyout", "ca.key", "-out", "ca.crt");
    pki.issue("server", san.toString());
    pki.issue("client", "extendedKeyUsage=clientAuth");
    Files.writeString(directory.resolve("token"), "remote-test-token\n");
    Files.writeString(directory.resolve("wrong-token"), "not-the-token\n");
    return pki;
  }

  /** A file of the set: ca.crt, server.crt, server.key, client.crt, client.key, token, wrong-token. */
  public Path file(String name) {
    return directory.resolve(name);
  }

  private void issue(String name, String extension) throws IOException, InterruptedException {
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
        "-keyout", name + ".key", "-out", name + ".csr");
    Files.writeString(directory.resolve(name + ".ext"), extension + "\n");
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", name + ".ext", "-out", name + ".crt");
  }

  private void openssl(String... args) throws IOException, InterruptedException {
    var command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    var process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    var output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + " failed: " + output);
    }
  }
}
