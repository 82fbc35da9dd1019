package io.chorus.ensemble.calibrate;

import io.chorus.ensemble.Probabilities;

/**
 * Temperature scaling (Guo et al. 2017): one scalar {@code T > 0} that divides every logit, fitted to minimize
 * the negative log-likelihood on a held-out split. The models here hand over probabilities, not logits, so the
 * logits are {@code ln(max(p, NLL_FLOOR))} (a zero probability is floored, as every NLL in Chorus is): scaling
 * is {@code q[k] = p[k]^(1/T) / sum_c p[c]^(1/T)}. The predicted class is unchanged for every T, so accuracy
 * is too; {@code T > 1} softens an overconfident model, {@code T < 1} sharpens an underconfident one.
 */
public final class Temperature {

    /** The range searched: T in [1/100, 100]. An optimum outside it is returned as the nearer end. */
    public static final double MIN = 1e-2;
    public static final double MAX = 1e2;

    private static final double TOLERANCE = 1e-10;
    private static final double INV_PHI = (Math.sqrt(5) - 1) / 2;

    private Temperature() {
    }

    /**
     * The temperature minimizing {@link #nll} on {@code (p, labels)}.
     *
     * <p>The NLL of {@code softmax(z / T)} is convex in {@code 1/T}, so it is unimodal in {@code ln T}, and a
     * golden-section search over {@code ln T in [ln MIN, ln MAX]} (to 1e-10) finds its minimum. When the data
     * cannot tell temperatures apart (e.g. every row uniform) the search ends wherever it ends; {@code T = 1}
     * is then returned if it is no worse than the result, so scaling never makes the fitting split worse.
     *
     * @param p      probabilities, one row per example, valid per {@link Probabilities#validate}
     * @param labels the true class of every example
     * @return the fitted temperature, in [MIN, MAX]
     * @throws IllegalArgumentException if {@code p} or {@code labels} is invalid
     */
    public static double fit(double[][] p, int[] labels) {
        double[][] z = logits(p, labels);
        double a = Math.log(MIN);
        double b = Math.log(MAX);
        double c = b - INV_PHI * (b - a);
        double d = a + INV_PHI * (b - a);
        double fc = nllOfLogits(z, labels, Math.exp(c));
        double fd = nllOfLogits(z, labels, Math.exp(d));
        while (b - a > TOLERANCE) {
            if (fc <= fd) {
                b = d;
                d = c;
                fd = fc;
                c = b - INV_PHI * (b - a);
                fc = nllOfLogits(z, labels, Math.exp(c));
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + INV_PHI * (b - a);
                fd = nllOfLogits(z, labels, Math.exp(d));
            }
        }
        double t = Math.exp((a + b) / 2);
        double ft = nllOfLogits(z, labels, t);
        // The ends of the range are candidates too: golden section never evaluates them.
        for (double end : new double[] {MIN, MAX}) {
            double fe = nllOfLogits(z, labels, end);
            if (fe < ft) {
                t = end;
                ft = fe;
            }
        }
        return nllOfLogits(z, labels, 1.0) <= ft ? 1.0 : t;
    }

    /**
     * {@code p} scaled with temperature {@code t}: row j becomes {@code softmax(ln(max(p[j], NLL_FLOOR)) / t)}.
     * A new matrix; {@code p} is not changed.
     *
     * @throws IllegalArgumentException if {@code t} is not finite and positive
     */
    public static double[][] apply(double[][] p, double t) {
        checkT(t);
        double[][] out = new double[p.length][];
        for (int j = 0; j < p.length; j++) {
            out[j] = softmax(logRow(p[j]), t);
        }
        return out;
    }

    /**
     * The mean NLL of the labels under {@code p} scaled with {@code t}, with the floor of
     * {@link Probabilities#NLL_FLOOR} on the scaled probability as in {@code Metrics}.
     */
    public static double nll(double[][] p, int[] labels, double t) {
        checkT(t);
        return nllOfLogits(logits(p, labels), labels, t);
    }

    private static double[][] logits(double[][] p, int[] labels) {
        if (p == null || p.length == 0 || p[0] == null) {
            throw new IllegalArgumentException("temperature scaling needs at least one example");
        }
        Probabilities.validate(p, p[0].length, "to be calibrated");
        Probabilities.checkLabels(labels, p.length, p[0].length);
        double[][] z = new double[p.length][];
        for (int j = 0; j < p.length; j++) {
            z[j] = logRow(p[j]);
        }
        return z;
    }

    private static double[] logRow(double[] row) {
        double[] z = new double[row.length];
        for (int k = 0; k < row.length; k++) {
            z[k] = Math.log(Math.max(row[k], Probabilities.NLL_FLOOR));
        }
        return z;
    }

    private static double[] softmax(double[] z, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double[] q = new double[z.length];
        double sum = 0;
        for (int k = 0; k < z.length; k++) {
            q[k] = Math.exp((z[k] - max) / t);
            sum += q[k];
        }
        for (int k = 0; k < z.length; k++) {
            q[k] /= sum;
        }
        return q;
    }

    private static double nllOfLogits(double[][] z, int[] labels, double t) {
        double s = 0;
        for (int j = 0; j < z.length; j++) {
            double[] row = z[j];
            double max = Double.NEGATIVE_INFINITY;
            for (double v : row) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : row) {
                sum += Math.exp((v - max) / t);
            }
            // ln q_y = (z_y - max)/t - ln(sum), floored like Metrics' NLL.
            double logQ = (row[labels[j]] - max) / t - Math.log(sum);
            s -= Math.max(logQ, Math.log(Probabilities.NLL_FLOOR));
        }
        return s / z.length;
    }

    private static void checkT(double t) {
        if (!(t > 0) || !Double.isFinite(t)) {
            throw new IllegalArgumentException("a temperature must be finite and positive, got " + t);
        }
    }
}
