package dev.snakepit.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses durations as people type them: {@code 500ms}, {@code 5s}, {@code 1.5s}, {@code 2m},
 * {@code 1h}, plain milliseconds ({@code 1500}) or ISO-8601 ({@code PT5S}). Zero and negative values
 * are rejected; picocli turns the rejection into a usage error (exit code 2).
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern HUMAN = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

  /** Creates the converter (picocli instantiates it). */
  public DurationConverter() {}

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * Parses {@code text} into a positive duration.
   *
   * @throws TypeConversionException when the text is not a duration or is not positive
   */
  public static Duration parse(String text) {
    var value = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    Duration duration;
    var matcher = HUMAN.matcher(value);
    if (matcher.matches()) {
      var amount = new BigDecimal(matcher.group(1));
      var unit = matcher.group(2) == null ? "ms" : matcher.group(2);
      var millis = switch (unit) {
        case "ms" -> amount;
        case "s" -> amount.movePointRight(3);
        case "m" -> amount.multiply(BigDecimal.valueOf(60_000));
        default -> amount.multiply(BigDecimal.valueOf(3_600_000));
      };
      if (millis.compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 1_000_000)) > 0) {
        throw new TypeConversionException("'" + text + "' is too long a duration");
      }
      duration = Duration.ofNanos(millis.movePointRight(6).longValue());
    } else if (value.startsWith("pt") || value.startsWith("p")) {
      try {
        duration = Duration.parse(value.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw invalid(text);
      }
    } else {
      throw invalid(text);
    }
    if (duration.isZero() || duration.isNegative()) {
      throw new TypeConversionException("'" + text + "' is not a positive duration");
    }
    return duration;
  }

  private static TypeConversionException invalid(String text) {
    return new TypeConversionException(
        "'" + text + "' is not a duration; use for example 500ms, 5s, 2m, 1h or plain milliseconds (1500)");
  }
}
