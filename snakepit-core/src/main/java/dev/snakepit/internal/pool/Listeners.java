package dev.snakepit.internal.pool;

import dev.snakepit.PoolEventListener;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivers events to the configured listeners; a listener that throws is logged, never allowed to break the pool. */
final class Listeners {
  private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

  private final List<PoolEventListener> listeners;

  Listeners(List<PoolEventListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /** Whether anyone listens: callers skip building events when nobody does. */
  boolean active() {
    return !listeners.isEmpty();
  }

  void fire(Consumer<PoolEventListener> event) {
    for (var listener : listeners) {
      try {
        event.accept(listener);
      } catch (RuntimeException e) {
        LOG.warn("Pool event listener {} threw; the event is dropped for it", listener.getClass().getName(), e);
      }
    }
  }
}
