package io.tandem.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;

/** The receiving end of a plain-socket baseline in the benchmarks: reads a known number of bytes, then acks with one byte. */
final class SocketSink {
  private SocketSink() {}

  /** Accepts one connection on {@code server}, reads {@code total} bytes from it and writes one byte back. */
  static void drain(ServerSocket server, long total) {
    try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream ack = s.getOutputStream()) {
      byte[] buf = new byte[1 << 20];
      long got = 0;
      while (got < total) {
        int n = in.read(buf);
        if (n < 0) {
          throw new IOException("socket closed after " + got + " bytes");
        }
        got += n;
      }
      ack.write(1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
