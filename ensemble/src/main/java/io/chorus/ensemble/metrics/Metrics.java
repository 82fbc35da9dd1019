package io.chorus.ensemble.metrics;

import java.util.Arrays;

import io.chorus.ensemble.Probabilities;

/**
 * The evaluation of one model or ensemble on one split: accuracy, negative log-likelihood, Brier score,
 * expected calibration error, per-class accuracy and the confusion matrix.
 *
 * @param examples          the number of examples n
 * @param accuracy          the fraction of examples whose predicted class is the label
 * @param nll               the mean negative log-likelihood of the label, {@code -(1/n) sum_j ln(max(p[j][y_j],
 *                          1e-15))}
 * @param brier             the mean multi-class Brier score {@code (1/n) sum_j sum_k (p[j][k] - [k == y_j])^2},
 *                          in {@code [0, 2]}
 * @param ece               the expected calibration error over {@link #ECE_BINS} (15) equal-width confidence bins
 * @param perClassAccuracy  {@code perClassAccuracy[k]}: the recall of class k, the fraction of examples of class k
 *                          predicted as k; NaN if no example has label k
 * @param confusion         {@code confusion[true][predicted]}: the number of examples with that label and
 *                          prediction
 */
public record Metrics(int examples, double accuracy, double nll, double brier, double ece,
                      double[] perClassAccuracy, long[][] confusion) {

    /** The number of equal-width confidence bins of the expected calibration error. */
    public static final int ECE_BINS = 15;

    /**
     * A reliability diagram: predictions grouped into equal-width bins of confidence, with each bin's
     * accuracy and mean confidence.
     *
     * @param lower      {@code lower[b] = b / bins}, the exclusive lower edge of bin b (bin 0 also holds 0)
     * @param upper      {@code upper[b] = (b + 1) / bins}, the inclusive upper edge of bin b
     * @param count      the number of examples in bin b
     * @param accuracy   the fraction of bin b's examples predicted correctly; NaN if the bin is empty
     * @param confidence the mean confidence of bin b's examples; NaN if the bin is empty
     */
    public record Reliability(double[] lower, double[] upper, long[] count, double[] accuracy,
                              double[] confidence) {
    }

    /**
     * Evaluates predicted probabilities {@code p} with predicted classes {@code predicted} against
     * {@code labels}.
     *
     * <p>The predicted classes are passed separately so that the vote can use its own tie rule (with
     * {@link io.chorus.ensemble.combine.Vote#shares} as {@code p}); for a probability model pass
     * {@link Probabilities#argmax}{@code (p)}. The confidence of example j is {@code p[j][predicted[j]]}.
     *
     * <ul>
     * <li>accuracy = (number of j with {@code predicted[j] == labels[j]}) / n.</li>
     * <li>NLL = {@code -(1/n) sum_j ln(max(p[j][labels[j]], 1e-15))}. The floor
     * ({@link Probabilities#NLL_FLOOR}) keeps a zero probability for the true class finite: a vote share
     * of 0 for the true class costs {@code -ln(1e-15) = 34.54}, not infinity.</li>
     * <li>Brier = {@code (1/n) sum_j sum_k (p[j][k] - y[j][k])^2} with {@code y} the one-hot label; between
     * 0 (certain and right) and 2 (certain and wrong).</li>
     * <li>ECE = {@code sum_b |B_b|/n * |acc(B_b) - conf(B_b)|} over the 15 bins of {@link #reliability}:
     * bin b holds the confidences in {@code (b/15, (b+1)/15]}, a confidence of 0 goes into bin 0, and
     * empty bins contribute 0.</li>
     * <li>perClassAccuracy[k] = (examples of class k predicted as k) / (examples of class k), NaN if class k
     * does not occur.</li>
     * <li>confusion[labels[j]][predicted[j]] counts example j.</li>
     * </ul>
     *
     * @param p         probabilities, one row per example, checked with {@link Probabilities#validate}
     *                  (the model is named "under evaluation"); K is the length of row 0
     * @param predicted the predicted class of every example, in {@code [0, K)}
     * @param labels    the true class of every example, in {@code [0, K)}
     * @return the metrics
     * @throws IllegalArgumentException if {@code p} is invalid, or a length or class index is wrong (naming
     *                                  it)
     */
    public static Metrics of(double[][] p, int[] predicted, int[] labels) {
        int numClasses = check(p, predicted, labels);
        int n = p.length;
        long correct = 0;
        double nll = 0;
        double brier = 0;
        long[][] confusion = new long[numClasses][numClasses];
        for (int j = 0; j < n; j++) {
            int y = labels[j];
            if (predicted[j] == y) {
                correct++;
            }
            confusion[y][predicted[j]]++;
            nll -= Math.log(Math.max(p[j][y], Probabilities.NLL_FLOOR));
            for (int k = 0; k < numClasses; k++) {
                double d = p[j][k] - (k == y ? 1 : 0);
                brier += d * d;
            }
        }
        double[] perClass = new double[numClasses];
        for (int k = 0; k < numClasses; k++) {
            long total = 0;
            for (long c : confusion[k]) {
                total += c;
            }
            perClass[k] = total == 0 ? Double.NaN : (double) confusion[k][k] / total;
        }
        Reliability r = reliability(p, predicted, labels, ECE_BINS);
        double ece = 0;
        for (int b = 0; b < ECE_BINS; b++) {
            if (r.count()[b] > 0) {
                ece += (double) r.count()[b] / n * Math.abs(r.accuracy()[b] - r.confidence()[b]);
            }
        }
        return new Metrics(n, (double) correct / n, nll / n, brier / n, ece, perClass, confusion);
    }

    /**
     * The reliability diagram of {@code p} with predicted classes {@code predicted}, over {@code bins}
     * equal-width bins of the confidence {@code c_j = p[j][predicted[j]]} on {@code [0, 1]}.
     *
     * <p>Bin b covers {@code (b/bins, (b+1)/bins]}; a confidence of exactly 0 goes into bin 0. The edges
     * are compared as the doubles {@code b / (double) bins}, the values reported in {@code lower} and
     * {@code upper}, so a confidence equal to an edge lands in the bin below it. A bin's accuracy is the
     * fraction of its examples with {@code predicted[j] == labels[j]} and its confidence the mean of its
     * {@code c_j}; both are NaN for an empty bin (count 0).
     *
     * @param p         probabilities, checked as in {@link #of}
     * @param predicted the predicted class of every example
     * @param labels    the true class of every example
     * @param bins      the number of bins, {@code >= 1}
     * @return the bins' edges, counts, accuracies and mean confidences
     * @throws IllegalArgumentException as {@link #of}, or if {@code bins < 1}
     */
    public static Reliability reliability(double[][] p, int[] predicted, int[] labels, int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be at least 1, got " + bins);
        }
        check(p, predicted, labels);
        double[] lower = new double[bins];
        double[] upper = new double[bins];
        for (int b = 0; b < bins; b++) {
            lower[b] = (double) b / bins;
            upper[b] = (double) (b + 1) / bins;
        }
        long[] count = new long[bins];
        double[] correct = new double[bins];
        double[] confSum = new double[bins];
        for (int j = 0; j < p.length; j++) {
            double c = p[j][predicted[j]];
            int b = bin(c, lower, upper);
            count[b]++;
            confSum[b] += c;
            if (predicted[j] == labels[j]) {
                correct[b]++;
            }
        }
        double[] accuracy = new double[bins];
        double[] confidence = new double[bins];
        for (int b = 0; b < bins; b++) {
            accuracy[b] = count[b] == 0 ? Double.NaN : correct[b] / count[b];
            confidence[b] = count[b] == 0 ? Double.NaN : confSum[b] / count[b];
        }
        return new Reliability(lower, upper, count, accuracy, confidence);
    }

    /** The bin b with {@code lower[b] < c <= upper[b]}, bin 0 for c <= 0 and the last bin for c > 1. */
    private static int bin(double c, double[] lower, double[] upper) {
        int bins = lower.length;
        int b = (int) Math.ceil(c * bins) - 1;
        b = Math.max(0, Math.min(bins - 1, b));
        while (b > 0 && c <= lower[b]) {
            b--;
        }
        while (b < bins - 1 && c > upper[b]) {
            b++;
        }
        return b;
    }

    private static int check(double[][] p, int[] predicted, int[] labels) {
        if (p == null || p.length == 0 || p[0] == null) {
            throw new IllegalArgumentException("model under evaluation: no rows (no examples)");
        }
        int numClasses = p[0].length;
        Probabilities.validate(p, numClasses, "under evaluation");
        Probabilities.checkLabels(labels, p.length, numClasses);
        if (predicted == null) {
            throw new IllegalArgumentException("predicted classes are null");
        }
        if (predicted.length != p.length) {
            throw new IllegalArgumentException("predicted has " + predicted.length + " entries, expected "
                    + p.length + " (one per example)");
        }
        for (int j = 0; j < predicted.length; j++) {
            if (predicted[j] < 0 || predicted[j] >= numClasses) {
                throw new IllegalArgumentException("predicted class of example " + j + " is " + predicted[j]
                        + ", not a class in [0, " + numClasses + ")");
            }
        }
        return numClasses;
    }

    @Override
    public String toString() {
        return "Metrics[examples=" + examples + ", accuracy=" + accuracy + ", nll=" + nll + ", brier=" + brier
                + ", ece=" + ece + ", perClassAccuracy=" + Arrays.toString(perClassAccuracy) + "]";
    }
}
