package dev.snakepit.bench;

import java.util.concurrent.CompletableFuture;

/** The Py4J gateway's entry point: Python registers its worker here and calls {@link #hostEcho(String)}. */
public final class Py4jEntry {
  private final CompletableFuture<Py4jWorker> worker = new CompletableFuture<>();

  /** Called by the Python process once its callback server listens. */
  public void register(Py4jWorker python) {
    worker.complete(python);
  }

  /** The host tool of the callback scenario: returns its argument. */
  public String hostEcho(String message) {
    return message;
  }

  CompletableFuture<Py4jWorker> worker() {
    return worker;
  }
}
