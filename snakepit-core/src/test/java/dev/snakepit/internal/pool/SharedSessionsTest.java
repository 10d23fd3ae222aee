package dev.snakepit.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.Affinity;
import dev.snakepit.SessionDirectory;
import dev.snakepit.SessionDirectory.Binding;
import dev.snakepit.SessionDirectory.WorkerIncarnation;
import dev.snakepit.SessionException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two replicas (dispatchers) on the same two remote workers sharing an in-memory session directory:
 * a session follows its binding from either replica, and a lost worker keeps the pool's semantics.
 */
class SharedSessionsTest {
  private static final Duration BUDGET = Duration.ofSeconds(30);
  private static final WorkerIncarnation ONE = new WorkerIncarnation("10.0.0.1:50051", "i1");
  private static final WorkerIncarnation TWO = new WorkerIncarnation("10.0.0.2:50051", "i2");

  private final ManualClock clock = new ManualClock();
  private final InMemoryDirectory directory = new InMemoryDirectory();
  private final PooledWorker a1 = Fakes.remoteWorker(0, ONE.endpoint(), ONE.incarnationId());
  private final PooledWorker a2 = Fakes.remoteWorker(1, TWO.endpoint(), TWO.incarnationId());
  private final PooledWorker b1 = Fakes.remoteWorker(0, ONE.endpoint(), ONE.incarnationId());
  private final PooledWorker b2 = Fakes.remoteWorker(1, TWO.endpoint(), TWO.incarnationId());
  private final Dispatcher replicaA = dispatcher(a1, a2);
  private final Dispatcher replicaB = dispatcher(b1, b2);
  private final SharedSessions sharedA = new SharedSessions(directory, replicaA);
  private final SharedSessions sharedB = new SharedSessions(directory, replicaB);

  private Dispatcher dispatcher(PooledWorker... workers) {
    var d = new Dispatcher(1, 10, Duration.ofSeconds(5), 2, 0, clock, clock, new Listeners(List.of()),
        new RecyclePolicy(0, null, 0, () -> 0.5));
    d.startingMore(workers.length);
    d.addInitial(List.of(workers));
    return d;
  }

  /** What the call path does: place the session, then take a worker. */
  private PooledWorker call(SharedSessions shared, Dispatcher d, Route route) {
    shared.place(route, "tool");
    var worker = d.acquire("tool", route, clock.read() + BUDGET.toNanos(), BUDGET).join();
    d.release(worker);
    return worker;
  }

  @Test
  void aSessionBoundThroughOneReplicaRunsOnTheSameWorkerThroughTheOther() {
    a2.lastReleased = 1; // replica A prefers worker two, replica B (left alone) worker one
    b1.lastReleased = 1;
    var route = new Route("s", Affinity.STRICT_QUEUE);

    assertThat(call(sharedA, replicaA, route)).isSameAs(a2);
    assertThat(call(sharedB, replicaB, route)).as("B follows the directory, not its own least-busy pick").isSameAs(b2);
    assertThat(call(sharedB, replicaB, route)).isSameAs(b2);

    assertThat(directory.bindings.get("s").worker()).isEqualTo(TWO);
    assertThat(directory.touches).as("each later call renews the binding").isEqualTo(1);
  }

  @Test
  void aStrictSessionWhoseWorkerIsLostFailsWithWorkerLostOnTheOtherReplicaToo() {
    a2.lastReleased = 1;
    var route = new Route("s", Affinity.STRICT_QUEUE);
    call(sharedA, replicaA, route);
    var bound = directory.bindings.get("s");
    replicaB.remove(b2);

    assertThatThrownBy(() -> sharedB.place(route, "tool"))
        .isInstanceOfSatisfying(SessionException.class, e -> {
          assertThat(e.reason()).isEqualTo(SessionException.Reason.WORKER_LOST);
          assertThat(e.getMessage()).contains(TWO.toString(), "close the session");
        });
    assertThat(directory.bindings.get("s")).as("a strict session is not moved").isEqualTo(bound);
  }

  @Test
  void aHintSessionWhoseWorkerIsLostMovesOnceAndBothReplicasFollow() {
    a2.lastReleased = 1;
    var route = new Route("s", Affinity.HINT);
    call(sharedA, replicaA, route);
    long first = directory.bindings.get("s").fencingToken();
    replicaA.remove(a2);
    replicaB.remove(b2);

    assertThat(call(sharedB, replicaB, route)).isSameAs(b1);
    var moved = directory.bindings.get("s");
    assertThat(moved.worker()).isEqualTo(ONE);
    assertThat(moved.fencingToken()).isGreaterThan(first);

    assertThat(call(sharedA, replicaA, route)).as("A's move with the old token loses and follows B's").isSameAs(a1);
    assertThat(directory.bindings.get("s")).isEqualTo(moved);
  }

  @Test
  void closingTheSessionReleasesItsBinding() {
    var route = new Route("s", Affinity.STRICT_QUEUE);
    call(sharedA, replicaA, route);

    sharedA.release("s");

    assertThat(directory.bindings).doesNotContainKey("s");
  }

  @Test
  void anExpiryOnOneReplicaForgetsTheSessionThereButKeepsTheSharedBinding() {
    call(sharedA, replicaA, new Route("s", Affinity.STRICT_QUEUE));

    sharedA.forget("s");

    assertThat(directory.bindings).as("another replica may still use it").containsKey("s");
  }

  @Test
  void aBindingThatExpiredInTheDirectoryIsRenewedOnItsWorkerNotMoved() {
    a2.lastReleased = 1;
    var route = new Route("s", Affinity.STRICT_QUEUE);
    call(sharedA, replicaA, route);
    directory.bindings.remove("s"); // nobody used it for the directory's TTL
    a1.lastReleased = 10; // A's own pick would now be worker one

    assertThat(call(sharedA, replicaA, route)).isSameAs(a2);
    assertThat(directory.bindings.get("s").worker()).isEqualTo(TWO);
  }

  @Test
  void aFailingDirectoryFailsTheCallTypedWithoutRunningIt() {
    directory.failure = new IllegalStateException("Redis at 127.0.0.1:6379 did not answer");

    assertThatThrownBy(() -> sharedA.place(new Route("s", Affinity.HINT), "tool"))
        .isInstanceOfSatisfying(SessionException.class, e -> {
          assertThat(e.reason()).isEqualTo(SessionException.Reason.DIRECTORY_UNAVAILABLE);
          assertThat(e.getMessage()).contains("127.0.0.1:6379");
        });
    assertThat(replicaA.boundWorker("s")).isNull();
  }

  @Test
  void aPoolOfLocalProcessesNeverAsksTheDirectory() {
    var local = dispatcher(Fakes.worker(0));
    var shared = new SharedSessions(directory, local);

    call(shared, local, new Route("s", Affinity.HINT));

    assertThat(directory.bindings).isEmpty();
  }

  /** The directory's contract in memory: bind-if-absent, fenced moves, touches and releases. */
  private static final class InMemoryDirectory implements SessionDirectory {
    final Map<String, Binding> bindings = new HashMap<>();
    long tokens;
    int touches;
    RuntimeException failure;

    @Override
    public synchronized Binding bind(String sessionId, WorkerIncarnation candidate) {
      failIfAsked();
      return bindings.computeIfAbsent(sessionId, s -> new Binding(candidate, ++tokens));
    }

    @Override
    public synchronized Binding move(String sessionId, long fencingToken, WorkerIncarnation to) {
      failIfAsked();
      var current = bindings.get(sessionId);
      if (current != null && current.fencingToken() != fencingToken) {
        return current;
      }
      var moved = new Binding(to, ++tokens);
      bindings.put(sessionId, moved);
      return moved;
    }

    @Override
    public synchronized boolean touch(String sessionId, long fencingToken) {
      failIfAsked();
      touches++;
      var current = bindings.get(sessionId);
      return current != null && current.fencingToken() == fencingToken;
    }

    @Override
    public synchronized boolean release(String sessionId, long fencingToken) {
      failIfAsked();
      var current = bindings.get(sessionId);
      return current != null && current.fencingToken() == fencingToken && bindings.remove(sessionId) != null;
    }

    private void failIfAsked() {
      if (failure != null) {
        throw failure;
      }
    }
  }
}
