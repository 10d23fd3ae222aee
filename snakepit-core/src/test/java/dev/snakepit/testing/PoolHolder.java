package dev.snakepit.testing;

import dev.snakepit.Snakepit;
import java.util.stream.Collectors;

/**
 * Run in a child JVM by the orphan test: starts a pool, prints its worker pids, then waits on
 * stdin until the parent kills it.
 */
public final class PoolHolder {
  private PoolHolder() {}

  public static void main(String[] args) throws Exception {
    var pit = Snakepit.start(TestPools.config().workers(2).build());
    System.out.println("PIDS " + pit.workerPids().stream().map(String::valueOf).collect(Collectors.joining(" ")));
    System.out.flush();
    System.in.read();
    pit.close();
  }
}
