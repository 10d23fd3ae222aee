package dev.snakepit.micrometer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the distinct values of one tag: the first {@code max} values pass, later new ones become
 * {@value SnakepitMetrics#OTHER}, so a stream of made-up names (tool names from user input, event
 * names built from data) cannot grow the registry without bound.
 */
final class TagLimiter {
  private static final Logger LOG = LoggerFactory.getLogger(TagLimiter.class);

  private final String tag;
  private final int max;
  private final Set<String> admitted = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean warned = new AtomicBoolean();

  TagLimiter(String tag, int max) {
    this.tag = tag;
    this.max = max;
  }

  /** The value to tag with: {@code value} itself while under the cap or already admitted, else {@value SnakepitMetrics#OTHER}. */
  String admit(String value) {
    if (admitted.contains(value)) {
      return value;
    }
    synchronized (admitted) {
      if (admitted.size() < max) {
        admitted.add(value);
        return value;
      }
    }
    if (warned.compareAndSet(false, true)) {
      LOG.warn("More than {} distinct values of meter tag '{}' (latest: '{}'); further new values are tagged '{}'",
          max, tag, value, SnakepitMetrics.OTHER);
    }
    return SnakepitMetrics.OTHER;
  }
}
