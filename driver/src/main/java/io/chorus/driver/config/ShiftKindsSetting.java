package io.chorus.driver.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.chorus.worker.data.Corruptions;

/**
 * Parses {@code evaluate.shift_kinds}: a comma-separated list of corruption kinds ({@link Corruptions.Kind} by
 * its lower-case name), each at most once, kept as that canonical text.
 */
public final class ShiftKindsSetting {
    private ShiftKindsSetting() {
    }

    /** Every kind, in {@link Corruptions.Kind} order: the key's default. */
    static final String ALL = Arrays.stream(Corruptions.Kind.values()).map(ShiftKindsSetting::name)
            .collect(Collectors.joining(","));

    static Function<Object, String> parser() {
        return raw -> {
            if (!(raw instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException("must be a comma-separated list of " + ALL + ", got "
                        + ConfigKey.describe(raw));
            }
            return parse(s).stream().map(ShiftKindsSetting::name).collect(Collectors.joining(","));
        };
    }

    /**
     * The kinds of a list such as {@code rotation, gaussian_noise}, in the order given.
     *
     * @throws IllegalArgumentException naming the unknown or repeated kind and the allowed names
     */
    public static List<Corruptions.Kind> parse(String value) {
        List<Corruptions.Kind> kinds = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            String k = part.trim();
            Corruptions.Kind kind = Arrays.stream(Corruptions.Kind.values()).filter(x -> name(x).equalsIgnoreCase(k))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("unknown corruption kind '" + k
                            + "' in '" + value + "'; the kinds are " + ALL.replace(",", ", ")));
            if (kinds.contains(kind)) {
                throw new IllegalArgumentException("corruption kind " + name(kind) + " is listed twice in '" + value + "'");
            }
            kinds.add(kind);
        }
        return kinds;
    }

    /** The kind's name in configurations, file rows and metrics.json: {@code gaussian_noise}. */
    public static String name(Corruptions.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
