package dev.snakepit.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.Affinity;
import dev.snakepit.SessionException;
import org.junit.jupiter.api.Test;

/** The wait queue's order and bounds, and session routing in the three affinity modes. */
class RoutingTest {
  private final PooledWorker w1 = Fakes.worker(0);
  private final PooledWorker w2 = Fakes.worker(1);
  private final SessionRouter router = new SessionRouter(1);

  // ---- WaitQueue ----

  @Test
  void theQueueIsFirstInFirstOut() {
    var queue = new WaitQueue(3);
    var a = new Waiter("a", null);
    var b = new Waiter("b", null);
    queue.offer(a);
    queue.offer(b);
    assertThat(queue.drain()).containsExactly(a, b);
    assertThat(queue.size()).isZero();
  }

  @Test
  void aFullQueueRefusesWithoutQueueing() {
    var queue = new WaitQueue(1);
    assertThat(queue.offer(new Waiter("a", null))).isTrue();
    assertThat(queue.offer(new Waiter("b", null))).isFalse();
    assertThat(queue.size()).isEqualTo(1);
    assertThat(queue.isFull()).isTrue();
  }

  @Test
  void removingAWaiterFreesItsPlaceOnce() {
    var queue = new WaitQueue(1);
    var a = new Waiter("a", null);
    queue.offer(a);
    assertThat(queue.remove(a)).isTrue();
    assertThat(queue.remove(a)).isFalse();
    assertThat(queue.offer(new Waiter("b", null))).isTrue();
  }

  // ---- SessionRouter ----

  @Test
  void aSessionsFirstCallBindsItToTheLeastBusyWorker() {
    var route = new Route("s", Affinity.STRICT_QUEUE);
    assertThat(router.choose(route, () -> w2)).isEqualTo(new SessionRouter.Run(w2));
    assertThat(router.boundWorker("s")).isSameAs(w2);
    assertThat(router.choose(route, () -> w1)).isEqualTo(new SessionRouter.Run(w2));
  }

  @Test
  void strictQueueWaitsForTheBusyBoundWorker() {
    var route = new Route("s", Affinity.STRICT_QUEUE);
    router.choose(route, () -> w1);
    w1.inFlight = 1;
    assertThat(router.choose(route, () -> w2)).isInstanceOf(SessionRouter.Queue.class);
  }

  @Test
  void strictFailFastRejectsWhileTheBoundWorkerIsBusy() {
    var route = new Route("s", Affinity.STRICT_FAIL_FAST);
    router.choose(route, () -> w1);
    w1.inFlight = 1;
    assertThat(router.choose(route, () -> w2)).isEqualTo(new SessionRouter.BoundBusy(w1));
  }

  @Test
  void hintUsesAnotherWorkerWhileTheBoundOneIsBusy() {
    var route = new Route("s", Affinity.HINT);
    router.choose(route, () -> w1);
    w1.inFlight = 1;
    assertThat(router.choose(route, () -> w2)).isEqualTo(new SessionRouter.Run(w2));
    assertThat(router.boundWorker("s")).as("the binding stays").isSameAs(w1);
  }

  @Test
  void strictSessionsFailWithWorkerLostWhenTheirWorkerDied() {
    var route = new Route("s", Affinity.STRICT_QUEUE);
    router.choose(route, () -> w1);
    w1.state = PooledWorker.State.DEAD;
    var choice = router.choose(route, () -> w2);
    assertThat(choice).isEqualTo(new SessionRouter.Lost(w1));
    var error = SessionRouter.workerLost(route, "tool", w1);
    assertThat(error.reason()).isEqualTo(SessionException.Reason.WORKER_LOST);
    assertThat(error.getMessage()).contains("died").contains("STRICT_QUEUE");
  }

  @Test
  void aRecycledWorkerIsReportedAsRecycled() {
    var route = new Route("s", Affinity.STRICT_FAIL_FAST);
    router.choose(route, () -> w1);
    w1.state = PooledWorker.State.RETIRING;
    assertThat(router.choose(route, () -> w2)).isEqualTo(new SessionRouter.Lost(w1));
    assertThat(SessionRouter.workerLost(route, "tool", w1).getMessage()).contains("was recycled");
  }

  @Test
  void hintSessionsMoveToALiveWorkerAfterTheirWorkerIsLost() {
    var route = new Route("s", Affinity.HINT);
    router.choose(route, () -> w1);
    w1.state = PooledWorker.State.DEAD;
    assertThat(router.choose(route, () -> w2)).isEqualTo(new SessionRouter.Run(w2));
    assertThat(router.boundWorker("s")).isSameAs(w2);
  }

  @Test
  void queuedStrictCallsMayOnlyTakeTheirOwnWorker() {
    var strict = new Route("s", Affinity.STRICT_QUEUE);
    router.choose(strict, () -> w1);
    assertThat(router.mayTake(strict, w2)).isFalse();
    assertThat(router.mayTake(strict, w1)).isTrue();
    assertThat(router.mayTake(new Route("s", Affinity.HINT), w2)).isTrue();
  }

  @Test
  void aQueuedCallOfAnUnboundSessionBindsToTheWorkerThatTakesIt() {
    var route = new Route("fresh", Affinity.STRICT_QUEUE);
    assertThat(router.mayTake(route, w2)).isTrue();
    assertThat(router.isBoundTo("fresh", w2)).isTrue();
    router.unbind("fresh");
    assertThat(router.boundWorker("fresh")).isNull();
  }
}
