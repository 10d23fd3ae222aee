package dev.snakepit.internal.transport;

/** Handle on a running streaming call: flow control and cancellation. */
public interface StreamCall {
  /** Asks for {@code count} more chunks (the transport delivers no more than requested). */
  void request(int count);

  /** Cancels the call; the worker closes the generator. Idempotent. */
  void cancel(String reason);
}
