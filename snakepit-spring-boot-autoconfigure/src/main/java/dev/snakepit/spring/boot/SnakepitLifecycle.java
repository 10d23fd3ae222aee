package dev.snakepit.spring.boot;

import dev.snakepit.Snakepit;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Closes every {@link Snakepit} pool when the context stops, in a phase after the web server has
 * finished its graceful shutdown and stopped (so in-flight requests can still call Python), and
 * before singletons are destroyed. It starts before the web server, whose requests then find the
 * pools ready.
 */
public class SnakepitLifecycle implements SmartLifecycle {
  /** Below the web server's start/stop phase ({@code DEFAULT_PHASE - 2048}) and its graceful shutdown. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private final ListableBeanFactory beans;
  private volatile boolean running;

  /** A lifecycle over the pools of this bean factory. */
  public SnakepitLifecycle(ListableBeanFactory beans) {
    this.beans = beans;
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    beans.getBeansOfType(Snakepit.class, false, false).values().forEach(Snakepit::close);
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
