package dev.snakepit.internal.transport;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A worker's answer to a tool call, decoded from the wire but not yet interpreted.
 *
 * @param success whether the tool succeeded
 * @param resultJson the result's JSON text (success only; may be null)
 * @param binaryResult the bytes of a binary result, or null
 * @param errorJson the error document when the tool failed
 * @param metadata response metadata
 * @param executionTimeMs time the tool took in the worker
 */
public record ToolResponse(boolean success, byte[] resultJson, ByteBuffer binaryResult, String errorJson,
    Map<String, String> metadata, long executionTimeMs) {}
