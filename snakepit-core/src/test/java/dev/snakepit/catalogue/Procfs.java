package dev.snakepit.catalogue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What Linux's /proc tells about a process: its environment and the TCP sockets it listens on. */
final class Procfs {
  private Procfs() {}

  /** A listening TCP socket: its local address (hex as in /proc/net/tcp, e.g. 0100007F) and port. */
  record Listener(String addressHex, int port, boolean ipv6) {
    boolean loopback() {
      // /proc/net/tcp6 prints each 32-bit word little-endian: ::1, and ::ffff:127.x.x.x (IPv4-mapped).
      return ipv6
          ? addressHex.equals("00000000000000000000000001000000")
              || addressHex.startsWith("0000000000000000FFFF0000") && addressHex.endsWith("7F")
          : addressHex.endsWith("7F");
    }
  }

  /** The environment of a process (root, or the same user, may read it). */
  static Map<String, String> environment(long pid) {
    try {
      var raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.UTF_8);
      var env = new HashMap<String, String>();
      for (var entry : raw.split("\0")) {
        int eq = entry.indexOf('=');
        if (eq > 0) {
          env.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
      }
      return env;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The TCP sockets {@code pid} listens on. */
  static List<Listener> listeners(long pid) {
    var inodes = socketInodes(pid);
    var result = new ArrayList<Listener>();
    for (var table : List.of("tcp", "tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", table));
      } catch (IOException e) {
        continue;
      }
      for (var line : lines.subList(1, lines.size())) {
        var f = line.trim().split("\\s+");
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
        if (!f[3].equals("0A") || !inodes.contains(f[9])) {
          continue;
        }
        var local = f[1].split(":");
        result.add(new Listener(local[0], Integer.parseInt(local[1], 16), table.equals("tcp6")));
      }
    }
    return result;
  }

  private static Set<String> socketInodes(long pid) {
    var inodes = new HashSet<String>();
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (var fd : (Iterable<Path>) fds::iterator) {
        try {
          var target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // The fd closed meanwhile.
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return inodes;
  }

  /** How many file descriptors {@code pid} has open. */
  static int openFiles(long pid) {
    try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
