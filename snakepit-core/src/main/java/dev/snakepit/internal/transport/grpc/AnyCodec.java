package dev.snakepit.internal.transport.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.DoubleValue;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.snakepit.internal.codec.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The protocol's value encoding in {@code google.protobuf.Any}: JSON text in the value, tolerant on receipt. */
public final class AnyCodec {
  /** type_url of parameters: JSON text in the value, as Snakepit sends it. */
  public static final String PARAMETER_TYPE_URL = "type.googleapis.com/google.protobuf.StringValue";
  /** Prefix of result type_urls: {@code snakepit.<kind>}. */
  public static final String RESULT_TYPE_PREFIX = "type.googleapis.com/snakepit.";

  private AnyCodec() {}

  /** Wraps JSON text as a parameter value, without copying. */
  public static Any parameter(byte[] json) {
    return Any.newBuilder().setTypeUrl(PARAMETER_TYPE_URL).setValue(UnsafeByteOperations.unsafeWrap(json)).build();
  }

  /** Wraps JSON text as a result value of the kind its first character implies. */
  public static Any result(byte[] json) {
    return Any.newBuilder().setTypeUrl(RESULT_TYPE_PREFIX + kindOf(json)).setValue(UnsafeByteOperations.unsafeWrap(json)).build();
  }

  /** The Any of a binary result. */
  public static Any binaryResult(long size) {
    return Any.newBuilder().setTypeUrl(RESULT_TYPE_PREFIX + "binary")
        .setValue(ByteString.copyFromUtf8("{\"size\":" + size + "}")).build();
  }

  /** Whether a result Any says its payload is in {@code binary_result}. */
  public static boolean isBinary(Any value) {
    return value.getTypeUrl().endsWith(".binary");
  }

  /**
   * The JSON text of a received value: the value bytes when they are JSON, else the unpacked
   * google.protobuf wrapper its type_url names (Snakepit's Python packs some strings that way).
   */
  public static byte[] jsonOf(Any value) {
    var bytes = value.getValue().toByteArray();
    if (isJson(bytes)) {
      return bytes;
    }
    var url = value.getTypeUrl();
    try {
      Object unpacked;
      if (url.endsWith("google.protobuf.StringValue")) {
        unpacked = StringValue.parseFrom(bytes).getValue();
      } else if (url.endsWith("google.protobuf.BoolValue")) {
        unpacked = BoolValue.parseFrom(bytes).getValue();
      } else if (url.endsWith("google.protobuf.Int64Value")) {
        unpacked = Int64Value.parseFrom(bytes).getValue();
      } else if (url.endsWith("google.protobuf.DoubleValue")) {
        unpacked = DoubleValue.parseFrom(bytes).getValue();
      } else if (url.endsWith("google.protobuf.Value")) {
        return JsonFormat.printer().print(Value.parseFrom(bytes)).getBytes(StandardCharsets.UTF_8);
      } else {
        throw new IllegalArgumentException("value of type " + url + " is neither JSON nor a known wrapper");
      }
      return Json.write(unpacked);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("value of type " + url + " is neither JSON nor a valid packed wrapper", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("value of type " + url + " could not be re-encoded as JSON", e);
    }
  }

  private static boolean isJson(byte[] bytes) {
    if (bytes.length == 0) {
      return false;
    }
    try (var parser = Json.mapper().createParser(bytes)) {
      while (parser.nextToken() != null) {
        // Reading every token validates the whole text.
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String kindOf(byte[] json) {
    int i = 0;
    while (i < json.length && Character.isWhitespace(json[i])) {
      i++;
    }
    if (i == json.length) {
      return "null";
    }
    return switch (json[i]) {
      case '{' -> "map";
      case '[' -> "list";
      case '"' -> "string";
      case 't', 'f' -> "boolean";
      case 'n' -> "null";
      default -> "float";
    };
  }
}
