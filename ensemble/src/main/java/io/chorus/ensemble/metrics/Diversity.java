package io.chorus.ensemble.metrics;

import java.util.List;

/**
 * Pairwise diversity of an ensemble's members, from their predicted classes (Kuncheva and Whitaker,
 * "Measures of Diversity in Classifier Ensembles", Machine Learning 51, 2003).
 *
 * <p>For members i and j on N examples: N11 = examples both predict correctly, N00 = both wrong, N10 = i
 * right and j wrong, N01 = i wrong and j right. All three matrices are symmetric, {@code m x m} for m
 * members.
 *
 * @param disagreement {@code (N01 + N10) / N}; diagonal 0
 * @param qStatistic   Yule's Q, {@code (N11*N00 - N01*N10) / (N11*N00 + N01*N10)}, in {@code [-1, 1]}; NaN when
 *                     the denominator is 0 (e.g. when one member of the pair is always right, or always wrong);
 *                     diagonal 1
 * @param doubleFault  {@code N00 / N}; on the diagonal the member's own error rate
 */
public record Diversity(double[][] disagreement, double[][] qStatistic, double[][] doubleFault) {

    /**
     * The pairwise disagreement, Q statistic and double fault of the members.
     *
     * @param predictions each member's predicted class for every example, in member order; at least one
     *                    member, each as long as {@code labels}
     * @param labels      the true classes, at least one example
     * @return the three symmetric matrices
     * @throws IllegalArgumentException if there is no member or no example, or a member's length differs
     *                                  from the labels' (naming the member)
     */
    public static Diversity of(List<int[]> predictions, int[] labels) {
        if (predictions == null || predictions.isEmpty()) {
            throw new IllegalArgumentException("at least one member is required");
        }
        if (labels == null || labels.length == 0) {
            throw new IllegalArgumentException("labels are " + (labels == null ? "null" : "empty"));
        }
        int m = predictions.size();
        int n = labels.length;
        boolean[][] right = new boolean[m][n];
        for (int i = 0; i < m; i++) {
            int[] pred = predictions.get(i);
            if (pred == null || pred.length != n) {
                throw new IllegalArgumentException("member #" + i + " has "
                        + (pred == null ? "no predictions" : pred.length + " predictions")
                        + ", expected " + n + " (one per label)");
            }
            for (int e = 0; e < n; e++) {
                right[i][e] = pred[e] == labels[e];
            }
        }
        double[][] dis = new double[m][m];
        double[][] q = new double[m][m];
        double[][] df = new double[m][m];
        for (int i = 0; i < m; i++) {
            long wrong = 0;
            for (int e = 0; e < n; e++) {
                if (!right[i][e]) {
                    wrong++;
                }
            }
            q[i][i] = 1;
            df[i][i] = (double) wrong / n;
            for (int j = i + 1; j < m; j++) {
                long n11 = 0;
                long n00 = 0;
                long n10 = 0;
                long n01 = 0;
                for (int e = 0; e < n; e++) {
                    if (right[i][e]) {
                        if (right[j][e]) {
                            n11++;
                        } else {
                            n10++;
                        }
                    } else if (right[j][e]) {
                        n01++;
                    } else {
                        n00++;
                    }
                }
                double d = (double) (n01 + n10) / n;
                double same = (double) n11 * n00;
                double differ = (double) n01 * n10;
                double qs = same + differ == 0 ? Double.NaN : (same - differ) / (same + differ);
                double f = (double) n00 / n;
                dis[i][j] = d;
                dis[j][i] = d;
                q[i][j] = qs;
                q[j][i] = qs;
                df[i][j] = f;
                df[j][i] = f;
            }
        }
        return new Diversity(dis, q, df);
    }

    /** The mean disagreement over the pairs i &lt; j; NaN with fewer than two members. */
    public double meanDisagreement() {
        return meanOffDiagonal(disagreement);
    }

    /**
     * The mean Q statistic over the pairs i &lt; j whose Q is defined (NaN entries are skipped); NaN if no
     * pair has a defined Q, e.g. with fewer than two members.
     */
    public double meanQ() {
        return meanOffDiagonal(qStatistic);
    }

    /** The mean double fault over the pairs i &lt; j; NaN with fewer than two members. */
    public double meanDoubleFault() {
        return meanOffDiagonal(doubleFault);
    }

    private static double meanOffDiagonal(double[][] a) {
        double sum = 0;
        long pairs = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                if (!Double.isNaN(a[i][j])) {
                    sum += a[i][j];
                    pairs++;
                }
            }
        }
        return pairs == 0 ? Double.NaN : sum / pairs;
    }
}
