package dev.snakepit.internal.remote;

import dev.snakepit.RemoteWorkers;
import dev.snakepit.RemoteWorkers.HostPort;
import java.net.InetAddress;
import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Turns a {@link RemoteWorkers.Target} into endpoints: a fixed list as written (host names are
 * resolved by the channel), a DNS target as one endpoint per address of the name. The lookup is
 * injected; the default is the JVM's resolver, which caches answers for
 * {@code networkaddress.cache.ttl} seconds (30 by default): set that security property to at most
 * the resolve interval for changes to show up that fast.
 */
public final class TargetResolver implements RemoteMembership.Resolver {
  /** Looks a name up. */
  @FunctionalInterface
  public interface NameLookup {
    /** All addresses of {@code name}. */
    InetAddress[] lookup(String name) throws IOException;
  }

  private final RemoteWorkers.Target target;
  private final NameLookup lookup;

  /** Resolves {@code target} with {@code lookup}. */
  public TargetResolver(RemoteWorkers.Target target, NameLookup lookup) {
    this.target = target;
    this.lookup = lookup;
  }

  /** Resolves {@code target} with the JVM's resolver. */
  public static TargetResolver system(RemoteWorkers.Target target) {
    return new TargetResolver(target, InetAddress::getAllByName);
  }

  /** Whether the target changes over time (and is re-resolved periodically). */
  public boolean periodic() {
    return target instanceof RemoteWorkers.Dns;
  }

  @Override
  public List<HostPort> resolve() throws IOException {
    return switch (target) {
      case RemoteWorkers.Endpoints e ->
          e.endpoints().stream().map(text -> RemoteWorkers.splitHostPort(text, text)).distinct().toList();
      case RemoteWorkers.Dns d -> Arrays.stream(lookup.lookup(d.name()))
          .map(address -> new HostPort(address.getHostAddress(), d.port()))
          .distinct()
          .sorted(Comparator.comparing(HostPort::toString))
          .toList();
    };
  }
}
