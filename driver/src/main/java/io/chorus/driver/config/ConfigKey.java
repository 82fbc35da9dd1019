package io.chorus.driver.config;

import java.util.Locale;
import java.util.function.Function;

/**
 * One typed job-configuration key: its dotted name, documentation, default, and the parser that both
 * converts a YAML or {@code --set} value and validates it. A parser throws
 * {@link IllegalArgumentException} with a message that reads after "key: ".
 *
 * @param <T> the value type
 */
public final class ConfigKey<T> {
    private final String name;
    private final String doc;
    private final T defaultValue;
    private final Function<Object, T> parser;
    private final Function<T, Object> printer;

    ConfigKey(String name, String doc, T defaultValue, Function<Object, T> parser, Function<T, Object> printer) {
        this.name = name;
        this.doc = doc;
        this.defaultValue = defaultValue;
        this.parser = parser;
        this.printer = printer;
    }

    public String name() {
        return name;
    }

    public String doc() {
        return doc;
    }

    /** Null when the key is required. */
    public T defaultValue() {
        return defaultValue;
    }

    public boolean required() {
        return defaultValue == null;
    }

    /** Whether {@code raw} is a valid value of this key (what a YAML file or {@code --set} may hold). */
    public boolean accepts(Object raw) {
        try {
            parse(raw);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Why {@code raw} is not a valid value of this key (reads after "key: "), or null if it is. */
    public String problem(Object raw) {
        try {
            parse(raw);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    T parse(Object raw) {
        return parser.apply(raw);
    }

    /** The value as YAML should hold it (enums by their lower-case name). */
    Object print(T value) {
        return printer.apply(value);
    }

    // ---- parsers ------------------------------------------------------------------------------

    static Function<Object, Integer> intIn(int min, int max) {
        return intIn(min, max, null);
    }

    /** {@link #intIn(int, int)} whose message also says why the range is what it is ({@code why}, if not null). */
    static Function<Object, Integer> intIn(int min, int max, String why) {
        return raw -> {
            long v = integral(raw);
            if (v < min || v > max) {
                throw new IllegalArgumentException("must be " + range(min, max) + ", got " + raw
                        + (why == null ? "" : "; " + why));
            }
            return (int) v;
        };
    }

    static Function<Object, Long> anyLong() {
        return ConfigKey::integral;
    }

    static Function<Object, Double> doubleIn(double min, boolean minOpen, double max, boolean maxOpen) {
        return raw -> {
            double v;
            if (raw instanceof Number n) {
                v = n.doubleValue();
            } else if (raw instanceof String s) {
                try {
                    v = Double.parseDouble(s.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("must be a number, got '" + s + "'");
                }
            } else {
                throw new IllegalArgumentException("must be a number, got " + describe(raw));
            }
            boolean ok = Double.isFinite(v) && (minOpen ? v > min : v >= min) && (maxOpen ? v < max : v <= max);
            if (!ok) {
                throw new IllegalArgumentException("must be in " + (minOpen ? "(" : "[") + num(min) + ", "
                        + num(max) + (maxOpen ? ")" : "]") + ", got " + raw);
            }
            return v;
        };
    }

    static Function<Object, Boolean> bool() {
        return raw -> {
            if (raw instanceof Boolean b) {
                return b;
            }
            if (raw instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
                return Boolean.parseBoolean(s);
            }
            throw new IllegalArgumentException("must be true or false, got " + describe(raw));
        };
    }

    static Function<Object, String> nonBlank() {
        return raw -> {
            if (!(raw instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException("must be a non-empty string, got " + describe(raw));
            }
            return s.trim();
        };
    }

    static <E extends Enum<E>> Function<Object, E> oneOf(Class<E> type) {
        return raw -> {
            String s = raw instanceof String str ? str.trim() : null;
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(s)) {
                    return e;
                }
            }
            StringBuilder allowed = new StringBuilder();
            for (E e : type.getEnumConstants()) {
                allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
            }
            throw new IllegalArgumentException("must be one of " + allowed + ", got " + describe(raw));
        };
    }

    private static long integral(Object raw) {
        if (raw instanceof Integer || raw instanceof Long || raw instanceof Short) {
            return ((Number) raw).longValue();
        }
        if (raw instanceof java.math.BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        if (raw instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a whole number, got '" + s + "'");
            }
        }
        throw new IllegalArgumentException("must be a whole number, got " + describe(raw));
    }

    static String describe(Object raw) {
        if (raw == null) {
            return "nothing";
        }
        if (raw instanceof String s) {
            return "'" + s + "'";
        }
        if (raw instanceof java.util.Map) {
            return "a mapping";
        }
        if (raw instanceof java.util.List) {
            return "a list";
        }
        return String.valueOf(raw);
    }

    private static String range(long min, long max) {
        if (max == Integer.MAX_VALUE) {
            return "at least " + min;
        }
        return "between " + min + " and " + max;
    }

    private static String num(double v) {
        if (v == Double.MAX_VALUE) {
            return "inf";
        }
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
