package dev.snakepit.codegen;

import java.util.ArrayList;
import java.util.Locale;
import java.util.Set;

/** Java names from Python names: {@code word_counts} becomes {@code wordCounts} or {@code WordCounts}. */
final class Names {
  private static final Set<String> KEYWORDS = Set.of(
      "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const", "continue",
      "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if",
      "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
      "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this",
      "throw", "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null", "var", "record",
      "yield", "sealed", "permits", "_");

  private Names() {}

  /** The words of a Python identifier (split at underscores, other symbols and lower-to-upper case steps). */
  static java.util.List<String> words(String name) {
    var words = new ArrayList<String>();
    var current = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!Character.isLetterOrDigit(c)) {
        flush(words, current);
        continue;
      }
      if (Character.isUpperCase(c) && current.length() > 0 && Character.isLowerCase(current.charAt(current.length() - 1))) {
        flush(words, current);
      }
      current.append(c);
    }
    flush(words, current);
    return words;
  }

  private static void flush(java.util.List<String> words, StringBuilder current) {
    if (current.length() > 0) {
      words.add(current.toString());
      current.setLength(0);
    }
  }

  /** {@code word_counts} to {@code wordCounts}; a Java keyword gets a trailing underscore. */
  static String camel(String name) {
    var words = words(name);
    if (words.isEmpty()) {
      return "value";
    }
    var out = new StringBuilder(words.getFirst().toLowerCase(Locale.ROOT));
    for (var word : words.subList(1, words.size())) {
      out.append(capitalize(word));
    }
    return safe(out.toString());
  }

  /** {@code word_counts} to {@code WordCounts}. */
  static String pascal(String name) {
    var out = new StringBuilder();
    for (var word : words(name)) {
      out.append(capitalize(word));
    }
    return out.isEmpty() ? "Value" : safe(out.toString());
  }

  /** {@code "my-value"} to {@code MY_VALUE} (for enum constants). */
  static String constant(String value) {
    var words = words(value);
    if (words.isEmpty()) {
      return "EMPTY";
    }
    return safe(String.join("_", words).toUpperCase(Locale.ROOT));
  }

  private static String capitalize(String word) {
    return Character.toUpperCase(word.charAt(0)) + word.substring(1).toLowerCase(Locale.ROOT);
  }

  private static String safe(String name) {
    if (Character.isDigit(name.charAt(0))) {
      name = "_" + name;
    }
    return KEYWORDS.contains(name) ? name + "_" : name;
  }

  /** Whether {@code name} is a valid Java package name. */
  static boolean isPackageName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (var part : name.split("\\.", -1)) {
      if (part.isEmpty() || !Character.isJavaIdentifierStart(part.charAt(0)) || KEYWORDS.contains(part)
          || !part.chars().allMatch(Character::isJavaIdentifierPart)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code name} is a valid Java type name. */
  static boolean isTypeName(String name) {
    return !name.isEmpty() && !name.contains(".") && isPackageName(name) && Character.isUpperCase(name.charAt(0));
  }
}
