package io.chorus.driver.config;

import java.util.Locale;
import java.util.function.Function;

import io.chorus.worker.data.Erasing;

/**
 * Parses the random-erasing keys: {@code data.augment.erase_area} and {@code data.augment.erase_aspect}
 * ({@code min,max}) and {@code data.augment.erase_fill} (a raw value 0..255, or {@code noise}).
 */
public final class ErasingSetting {
    private ErasingSetting() {
    }

    /**
     * A parser of {@code "min,max"} with {@code low < min <= max <= high} ({@code low} exclusive, {@code high}
     * inclusive); the value is kept as the text {@code "min,max"}.
     */
    static Function<Object, String> range(double low, double high, String what) {
        return raw -> {
            String bounds = "two comma-separated numbers min,max with " + num(low) + " < min <= max <= " + num(high)
                    + " (" + what + ")";
            if (!(raw instanceof String s)) {
                throw new IllegalArgumentException("must be " + bounds + ", got " + ConfigKey.describe(raw));
            }
            double[] r;
            try {
                r = parseRange(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("must be " + bounds + ", got '" + s + "'");
            }
            if (!(r[0] > low && r[0] <= r[1] && r[1] <= high)) {
                throw new IllegalArgumentException("must be " + bounds + ", got '" + s + "'");
            }
            return r[0] + "," + r[1];
        };
    }

    /** A parser of a raw fill value 0..255 or {@code noise}, kept as text. */
    static Function<Object, String> fill() {
        return raw -> {
            String s = raw instanceof Number n ? String.valueOf(n) : raw instanceof String str ? str.trim() : null;
            if (s != null && s.toLowerCase(Locale.ROOT).equals("noise")) {
                return "noise";
            }
            try {
                int v = Integer.parseInt(s);
                if (v >= 0 && v <= 255) {
                    return String.valueOf(v);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("must be a raw pixel value between 0 and 255, or noise, got "
                    + ConfigKey.describe(raw));
        };
    }

    /** The erasing of validated key values. */
    public static Erasing of(double probability, String area, String aspect, String fill) {
        double[] a = parseRange(area);
        double[] r = parseRange(aspect);
        boolean noise = fill.equals("noise");
        return new Erasing(probability, a[0], a[1], r[0], r[1], noise ? 0 : Integer.parseInt(fill), noise);
    }

    private static double[] parseRange(String s) {
        String[] parts = s.split(",", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("not two values: " + s);
        }
        double lo = Double.parseDouble(parts[0].trim());
        double hi = Double.parseDouble(parts[1].trim());
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new IllegalArgumentException("not finite: " + s);
        }
        return new double[] {lo, hi};
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
