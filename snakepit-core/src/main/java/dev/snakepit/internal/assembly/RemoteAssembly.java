package dev.snakepit.internal.assembly;

import dev.snakepit.RemoteWorkers;
import dev.snakepit.SnakepitConfig;
import dev.snakepit.internal.NamedThreadFactory;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.remote.RemoteMembership;
import dev.snakepit.internal.remote.RemoteMembershipDriver;
import dev.snakepit.internal.remote.RemoteWorkerStarter;
import dev.snakepit.internal.remote.TargetResolver;
import dev.snakepit.internal.time.Ticker;
import dev.snakepit.internal.tools.HostCalls;
import dev.snakepit.internal.transport.grpc.RemoteChannels;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The parts of a pool whose workers are remote: channels (TLS, token), the membership that resolves
 * and health-checks the endpoints on its own thread, the starter that binds the pool's worker
 * slots to live remote workers, and the host channels that carry the workers' host-tool calls.
 * Closed after the pool's workers.
 */
final class RemoteAssembly implements AutoCloseable {
  final RemoteWorkerStarter starter;
  final RemoteHostChannels hostChannels;
  private final RemoteChannels channels;
  private final RemoteMembershipDriver driver;

  RemoteAssembly(SnakepitConfig config, RemoteWorkers remote, Ticker ticker, HostCalls hostCalls,
      Executor hostCallThreads, ToolCatalog catalog) {
    // Names this pool to the workers: they send a call's host-tool calls down this pool's channel.
    var hostId = config.poolName() + "-" + UUID.randomUUID();
    this.channels = new RemoteChannels(config.poolName(), remote, config.maxMessageSize(), hostId);
    this.starter = new RemoteWorkerStarter(remote.toString(), channels::connect, config.startupTimeout(), ticker::read);
    this.hostChannels = new RemoteHostChannels(channels, hostCalls, hostCallThreads, catalog, starter);
    var resolver = TargetResolver.system(remote.target());
    var membership = new RemoteMembership(remote.toString(), resolver, resolver.periodic(), remote.resolveInterval(),
        (endpoint, timeout) -> channels.probe(endpoint, timeout).thenApply(answer -> {
          hostChannels.checked(endpoint, answer.incarnation());
          return new RemoteMembership.Probe(answer.incarnation(), answer.capacity());
        }),
        remote.healthCheckInterval(), remote.healthCheckTimeout(), remote.failuresBeforeDown(),
        () -> ThreadLocalRandom.current().nextDouble(), hostChannels);
    starter.watching(membership);
    this.driver = new RemoteMembershipDriver(membership, ticker::read,
        new NamedThreadFactory(config.poolName(), "remote-membership"));
  }

  @Override
  public void close() {
    driver.close();
    hostChannels.close();
    channels.close();
  }
}
