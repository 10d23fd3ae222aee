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

  /** Calls {@link Py4jEntry#hostEcho(String)} back in Java and returns its result. */
  String callHost(String message);
}
