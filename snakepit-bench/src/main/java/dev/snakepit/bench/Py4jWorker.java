package dev.snakepit.bench;

/** What the Py4J peer's Python object implements (see {@code py4j_worker.py}); public for Py4J's proxies. */
public interface Py4jWorker {
  /** Returns the message. */
  String echo(String message);

  /** Returns the bytes. */
  byte[] echoBytes(byte[] data);

  /** Returns the number of bytes received. */
  int sink(byte[] data);

  /** Returns {@code size} bytes. */
  byte[] source(int size);

  /** The "sync numpy tool": argmax of a small matrix times {@code (a, b, c, d)}. */
  int argmax(double a, double b, double c, double d);

  /** Calls {@link Py4jEntry#hostEcho(String)} back in Java and returns its result. */
  String callHost(String message);
}
