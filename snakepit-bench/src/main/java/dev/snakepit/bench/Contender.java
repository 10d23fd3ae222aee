package dev.snakepit.bench;

/**
 * One side of a comparison within a scenario: a name, its role, and the operation measured.
 *
 * @param name how the tables name it
 * @param role ours, a floor, the peer or the ceiling
 * @param operation one measured operation (a call, a transfer, a stream)
 */
record Contender(String name, Report.Role role, Operation operation) {
  /** One measured operation. */
  @FunctionalInterface
  interface Operation {
    void run() throws Exception;
  }

  /** Runs the operation once, turning checked failures into unchecked ones naming the contender. */
  void runOnce() {
    try {
      operation.run();
    } catch (RuntimeException e) {
      throw new IllegalStateException(name + " failed: " + e.getMessage(), e);
    } catch (Exception e) {
      throw new IllegalStateException(name + " failed: " + e, e);
    }
  }

  /** Runs {@code calls} operations, recording each one's duration. */
  void measure(int calls, Samples into) {
    for (int i = 0; i < calls; i++) {
      long start = System.nanoTime();
      runOnce();
      into.add(System.nanoTime() - start);
    }
  }
}
