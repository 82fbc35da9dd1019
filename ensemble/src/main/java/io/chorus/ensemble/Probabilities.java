package io.chorus.ensemble;

import java.util.List;

/**
 * Checks and helpers for class-probability matrices, the form in which Chorus hands a model's predictions
 * to the combiners and the metrics.
 *
 * <p>A model's predictions on {@code n} examples are a {@code double[n][K]}: row {@code j} is the
 * predicted distribution over the {@code K} classes for example {@code j}. An ensemble's members are a
 * {@code List<double[][]>} in member order; labels are an {@code int[n]} of class indices in
 * {@code [0, K)}.
 */
public final class Probabilities {

    /** How far a row's sum may be from 1 and still count as a probability distribution. */
    public static final double ROW_SUM_TOLERANCE = 1e-3;

    /**
     * The smallest probability Chorus takes the logarithm of: every negative log-likelihood in Chorus is
     * computed as {@code -ln(max(p, NLL_FLOOR))}, so a probability of 0 for the true class costs
     * {@code -ln(1e-15) = 34.54} rather than infinity.
     */
    public static final double NLL_FLOOR = 1e-15;

    private Probabilities() {
    }

    /**
     * Checks that {@code p} is a valid probability matrix over {@code numClasses} classes.
     *
     * <p>Valid means: {@code numClasses >= 2}; {@code p} is non-null with at least one row; every row is
     * non-null and has exactly {@code numClasses} columns; every entry is finite and {@code >= 0}; and
     * every row sums to 1 within {@link #ROW_SUM_TOLERANCE} (1e-3). Rows are checked in order, and within
     * a row the entries before the sum, so the first problem found is reported.
     *
     * @param p          the model's predicted probabilities, one row per example
     * @param numClasses the number of classes K
     * @param model      the model's name, used in error messages
     * @throws IllegalArgumentException naming the model, the row and the bad value, e.g.
     *                                  {@code "model m3: row 17 has a non-finite probability (NaN) at class 2"}
     */
    public static void validate(double[][] p, int numClasses, String model) {
        if (numClasses < 2) {
            throw new IllegalArgumentException("model " + model + ": numClasses must be at least 2, got " + numClasses);
        }
        if (p == null) {
            throw new IllegalArgumentException("model " + model + ": probabilities are null");
        }
        if (p.length == 0) {
            throw new IllegalArgumentException("model " + model + ": no rows (no examples)");
        }
        for (int j = 0; j < p.length; j++) {
            double[] row = p[j];
            if (row == null) {
                throw new IllegalArgumentException("model " + model + ": row " + j + " is null");
            }
            if (row.length != numClasses) {
                throw new IllegalArgumentException("model " + model + ": row " + j + " has " + row.length
                        + " columns, expected " + numClasses);
            }
            double sum = 0;
            for (int k = 0; k < numClasses; k++) {
                double v = row[k];
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("model " + model + ": row " + j
                            + " has a non-finite probability (" + v + ") at class " + k);
                }
                if (v < 0) {
                    throw new IllegalArgumentException("model " + model + ": row " + j
                            + " has a negative probability (" + v + ") at class " + k);
                }
                sum += v;
            }
            if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
                throw new IllegalArgumentException("model " + model + ": row " + j + " sums to " + sum
                        + ", not 1 (tolerance " + ROW_SUM_TOLERANCE + ")");
            }
        }
    }

    /**
     * The predicted class of every row: the index of the row's largest entry, the lowest such index when
     * several entries share the maximum.
     *
     * @param p probabilities (or any scores), one row per example; every row non-empty and NaN-free
     * @return one class index per row
     * @throws IllegalArgumentException if {@code p} or a row is null or empty, or a row contains NaN
     */
    public static int[] argmax(double[][] p) {
        if (p == null) {
            throw new IllegalArgumentException("probabilities are null");
        }
        int[] out = new int[p.length];
        for (int j = 0; j < p.length; j++) {
            double[] row = p[j];
            if (row == null || row.length == 0) {
                throw new IllegalArgumentException("row " + j + " is " + (row == null ? "null" : "empty"));
            }
            int best = 0;
            for (int k = 0; k < row.length; k++) {
                if (Double.isNaN(row[k])) {
                    throw new IllegalArgumentException("row " + j + " has a NaN at class " + k);
                }
                if (row[k] > row[best]) {
                    best = k;
                }
            }
            out[j] = best;
        }
        return out;
    }

    /**
     * Checks that there is at least one member and that every member has the shape of member 0: the same
     * number of rows {@code n >= 1}, and every row the same number of columns as member 0's row 0. Only
     * the shape is checked; the values are checked by {@link #validate}.
     *
     * @param members the members' probabilities, in member order
     * @throws IllegalArgumentException naming the member (by list index) and the mismatching size
     */
    public static void checkSameShape(List<double[][]> members) {
        if (members == null || members.isEmpty()) {
            throw new IllegalArgumentException("at least one member is required, got "
                    + (members == null ? "null" : "an empty list"));
        }
        double[][] first = members.get(0);
        if (first == null || first.length == 0 || first[0] == null) {
            throw new IllegalArgumentException("member #0 has no rows");
        }
        int n = first.length;
        int k = first[0].length;
        for (int i = 0; i < members.size(); i++) {
            double[][] m = members.get(i);
            if (m == null) {
                throw new IllegalArgumentException("member #" + i + " is null");
            }
            if (m.length != n) {
                throw new IllegalArgumentException("member #" + i + " has " + m.length + " rows, member #0 has " + n);
            }
            for (int j = 0; j < n; j++) {
                if (m[j] == null) {
                    throw new IllegalArgumentException("member #" + i + ": row " + j + " is null");
                }
                if (m[j].length != k) {
                    throw new IllegalArgumentException("member #" + i + ": row " + j + " has " + m[j].length
                            + " columns, member #0 has " + k);
                }
            }
        }
    }

    /**
     * Checks the members' shapes with {@link #checkSameShape} and each member's values with
     * {@link #validate}, naming member {@code i} {@code "#i"} (its list index).
     *
     * @param members the members' probabilities, in member order
     * @return the number of classes K shared by all members
     * @throws IllegalArgumentException on the first problem found
     */
    public static int validateMembers(List<double[][]> members) {
        checkSameShape(members);
        int numClasses = members.get(0)[0].length;
        for (int i = 0; i < members.size(); i++) {
            validate(members.get(i), numClasses, "#" + i);
        }
        return numClasses;
    }

    /**
     * Checks that there is one label per example and that every label is a class index in
     * {@code [0, numClasses)}.
     *
     * @param labels     the true classes
     * @param examples   the number of examples n
     * @param numClasses the number of classes K
     * @throws IllegalArgumentException naming the length or the index and value of the first bad label
     */
    public static void checkLabels(int[] labels, int examples, int numClasses) {
        if (labels == null) {
            throw new IllegalArgumentException("labels are null");
        }
        if (labels.length != examples) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries, expected " + examples
                    + " (one per example)");
        }
        for (int j = 0; j < labels.length; j++) {
            if (labels[j] < 0 || labels[j] >= numClasses) {
                throw new IllegalArgumentException("label " + j + " is " + labels[j] + ", not a class in [0, "
                        + numClasses + ")");
            }
        }
    }

    /**
     * Each member's probability of the true class, {@code q[i][j] = members[i][j][labels[j]]}, after
     * checking the members with {@link #validateMembers} and the labels with {@link #checkLabels}: the
     * only numbers NLL-driven combiners (weight fitting, greedy selection) need.
     *
     * @param members the members' probabilities, in member order
     * @param labels  the true classes
     * @return an {@code m x n} matrix
     * @throws IllegalArgumentException on the first problem found
     */
    public static double[][] trueClass(List<double[][]> members, int[] labels) {
        int numClasses = validateMembers(members);
        int n = members.get(0).length;
        checkLabels(labels, n, numClasses);
        double[][] q = new double[members.size()][n];
        for (int i = 0; i < q.length; i++) {
            double[][] member = members.get(i);
            for (int j = 0; j < n; j++) {
                q[i][j] = member[j][labels[j]];
            }
        }
        return q;
    }
}
