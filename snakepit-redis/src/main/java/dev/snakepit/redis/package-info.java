/**
 * A session directory in Redis shared by several JVM replicas of one service, so that a session's
 * calls reach the same remote worker from any replica: {@link dev.snakepit.redis.RedisSessionDirectory}.
 */
package dev.snakepit.redis;
