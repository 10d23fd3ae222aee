package dev.snakepit.internal.assembly;

import dev.snakepit.RemoteWorkers.HostPort;
import dev.snakepit.ToolInfo;
import dev.snakepit.internal.host.ToolCatalog;
import dev.snakepit.internal.remote.RemoteMembership;
import dev.snakepit.internal.remote.RemoteMembership.RemoteWorker;
import dev.snakepit.internal.tools.HostCalls;
import dev.snakepit.internal.transport.grpc.HostChannel;
import dev.snakepit.internal.transport.grpc.RemoteChannels;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one host channel open to every live remote worker, so its tools can call host tools: opened
 * when the membership reports the worker up, closed when it goes down, and reopened after a health
 * check finds the worker alive but its channel broken (so a channel lost with a link comes back
 * within one health-check interval of the link). The tools a worker registers over its channel go
 * into the pool's tool catalogue under {@code remote HOST:PORT}.
 */
final class RemoteHostChannels implements RemoteMembership.Listener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteHostChannels.class);

  private final RemoteChannels channels;
  private final HostCalls hostCalls;
  private final Executor handlers;
  private final ToolCatalog catalog;
  private final RemoteMembership.Listener next;
  private final Map<HostPort, Link> links = new HashMap<>();
  private boolean closed;

  private record Link(RemoteWorker worker, HostChannel channel) {}

  /**
   * @param next told of every membership event after this (the worker starter): a worker's channel
   *     is opening before it gets calls
   */
  RemoteHostChannels(RemoteChannels channels, HostCalls hostCalls, Executor handlers, ToolCatalog catalog,
      RemoteMembership.Listener next) {
    this.channels = channels;
    this.hostCalls = hostCalls;
    this.handlers = handlers;
    this.catalog = catalog;
    this.next = next;
  }

  static String catalogKey(HostPort endpoint) {
    return "remote " + endpoint;
  }

  @Override
  public void up(RemoteWorker worker) {
    synchronized (this) {
      if (!closed) {
        var previous = links.put(worker.endpoint(), open(worker));
        if (previous != null) {
          previous.channel().close();
        }
      }
    }
    next.up(worker);
  }

  @Override
  public void down(RemoteWorker worker, String reason) {
    synchronized (this) {
      var link = links.get(worker.endpoint());
      if (link != null && link.worker().equals(worker)) {
        links.remove(worker.endpoint());
        link.channel().close();
        catalog.forget(catalogKey(worker.endpoint()));
      }
    }
    next.down(worker, reason);
  }

  @Override
  public void rejected(HostPort endpoint, String detail) {
    next.rejected(endpoint, detail);
  }

  /** A health check of {@code endpoint} answered as {@code incarnation}: reopen its channel if it broke. */
  synchronized void checked(HostPort endpoint, String incarnation) {
    var link = links.get(endpoint);
    if (!closed && link != null && !link.channel().isOpen() && link.worker().incarnation().equals(incarnation)) {
      LOG.info("Reopening the host channel to remote worker {}", endpoint);
      links.put(endpoint, open(link.worker()));
    }
  }

  /** Host tool calls whose handler still runs, over all channels. */
  synchronized int running() {
    return links.values().stream().mapToInt(link -> link.channel().running()).sum();
  }

  private Link open(RemoteWorker worker) {
    var endpoint = worker.endpoint();
    var channel = channels.openHostChannel(endpoint, hostCalls, handlers, new HostChannel.Events() {
      @Override
      public void registered(List<ToolInfo> tools) {
        catalog.register(catalogKey(endpoint), tools);
        LOG.debug("Remote worker {} registered {} tools", endpoint, tools.size());
      }

      @Override
      public void closed(String reason) {
        LOG.debug("Host channel to remote worker {} closed: {}", endpoint, reason);
      }
    });
    return new Link(worker, channel);
  }

  @Override
  public synchronized void close() {
    closed = true;
    links.values().forEach(link -> link.channel().close());
    links.clear();
  }
}
