package io.chorus.driver.config;

import java.util.Locale;

/** Parses {@code ensemble.weights}: {@code fit}, or one weight per member. */
public final class WeightsSetting {
    private static final double TOLERANCE = 1e-6;

    private WeightsSetting() {
    }

    /** The weights given, or null for {@code fit}. Call only on a validated configuration. */
    public static double[] parse(String value) {
        String v = value.trim();
        if (v.equals("fit")) {
            return null;
        }
        String[] parts = v.split(",");
        double[] w = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            w[i] = Double.parseDouble(parts[i].trim());
        }
        return w;
    }

    /** What is wrong with a list of weights for {@code members} members, or null if nothing. */
    static String problem(String value, int members) {
        String[] parts = value.split(",");
        if (parts.length != members) {
            return "expected fit or " + members + " comma-separated weights (one per member), got " + parts.length
                    + " value(s) in '" + value + "'";
        }
        double sum = 0;
        for (int i = 0; i < parts.length; i++) {
            double w;
            try {
                w = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                return "weight " + i + " is not a number: '" + parts[i].trim() + "'";
            }
            if (!Double.isFinite(w) || w < 0) {
                return "weight " + i + " must be finite and non-negative, got " + parts[i].trim();
            }
            sum += w;
        }
        if (Math.abs(sum - 1) > TOLERANCE) {
            return String.format(Locale.ROOT, "weights must sum to 1, got %.6g", sum);
        }
        return null;
    }
}
