package dev.snakepit.redis;

/**
 * A session's binding to one worker incarnation, as stored in the shared directory.
 *
 * @param sessionId the session
 * @param worker the worker incarnation that holds the session's state
 * @param fencingToken grows with every new binding of any session; a replica presents it to touch,
 *     release or rebind, and a replica holding an older token is refused
 * @param created true when this call created the binding, false when it found one already there
 */
public record SessionBinding(String sessionId, WorkerRef worker, long fencingToken, boolean created) {}
