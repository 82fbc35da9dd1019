package io.chorus.ensemble.calibrate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.metrics.Metrics;

class TemperatureTest {

    /**
     * Every row is (q, 1 - q) and a fraction a of the labels is 0: the best scaled row is (a, 1 - a), so
     * (q/(1-q))^(1/T) = a/(1-a) and T = ln(q/(1-q)) / ln(a/(1-a)). With q = 0.9 and a = 0.75: T = ln 9 / ln 3 = 2.
     */
    @Test
    void theOptimumOfIdenticalRowsHasAClosedForm() {
        double[][] p = new double[8][];
        int[] labels = new int[8];
        for (int j = 0; j < 8; j++) {
            p[j] = new double[] {0.9, 0.1};
            labels[j] = j < 6 ? 0 : 1;
        }
        double t = Temperature.fit(p, labels);
        assertEquals(2.0, t, 1e-6);
        assertArrayEquals(new double[] {0.75, 0.25}, Temperature.apply(p, t)[0], 1e-6);
        // q = 0.6, a = 0.9: an underconfident model is sharpened, T = ln 1.5 / ln 9.
        int[] labels10 = new int[10];
        double[][] p10 = new double[10][];
        for (int j = 0; j < 10; j++) {
            p10[j] = new double[] {0.6, 0.4};
            labels10[j] = j < 9 ? 0 : 1;
        }
        assertEquals(Math.log(1.5) / Math.log(9), Temperature.fit(p10, labels10), 1e-6);
    }

    @Test
    void theFitIsTheMinimumOfABruteForceGrid() {
        Random r = new Random(7);
        double[][] p = new double[40][];
        int[] labels = new int[40];
        for (int j = 0; j < p.length; j++) {
            p[j] = randomRow(r, 4, 2.0);
            labels[j] = sample(r, sharpen(p[j], 0.5)); // the labels follow a softer model than p
        }
        double bestT = Double.NaN;
        double bestNll = Double.POSITIVE_INFINITY;
        for (double lt = Math.log(0.05); lt <= Math.log(20); lt += 1e-4) {
            double nll = Temperature.nll(p, labels, Math.exp(lt));
            if (nll < bestNll) {
                bestNll = nll;
                bestT = Math.exp(lt);
            }
        }
        double t = Temperature.fit(p, labels);
        assertEquals(bestT, t, bestT * 2e-4, "grid step 1e-4 in ln T");
        assertTrue(Temperature.nll(p, labels, t) <= bestNll + 1e-12);
    }

    @Test
    void calibratedDataFromAKnownModelGivesOne() {
        Random r = new Random(11);
        int n = 20000;
        double[][] p = new double[n][];
        int[] labels = new int[n];
        for (int j = 0; j < n; j++) {
            p[j] = randomRow(r, 5, 1.5);
            labels[j] = sample(r, p[j]);
        }
        assertEquals(1.0, Temperature.fit(p, labels), 0.05);
    }

    @Test
    void overconfidentProbabilitiesGiveATemperatureAboveOne() {
        Random r = new Random(13);
        int n = 20000;
        double[][] p = new double[n][];
        int[] labels = new int[n];
        for (int j = 0; j < n; j++) {
            double[] truth = randomRow(r, 5, 1.0);
            labels[j] = sample(r, truth);
            p[j] = sharpen(truth, 3.0); // the model reports truth^3, renormalized: three times too confident
        }
        double t = Temperature.fit(p, labels);
        assertEquals(3.0, t, 0.15);
        double before = Metrics.of(p, Probabilities.argmax(p), labels).ece();
        double[][] q = Temperature.apply(p, t);
        Metrics after = Metrics.of(q, Probabilities.argmax(q), labels);
        assertTrue(after.ece() < before / 3, "ECE " + before + " -> " + after.ece());
        assertArrayEquals(Probabilities.argmax(p), Probabilities.argmax(q), "the predicted class is kept");
    }

    @Test
    void scalingNeverRaisesTheNllOfTheFittingSplit() {
        Random r = new Random(17);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + r.nextInt(30);
            int k = 2 + r.nextInt(4);
            double[][] p = new double[n][];
            int[] labels = new int[n];
            for (int j = 0; j < n; j++) {
                p[j] = randomRow(r, k, r.nextDouble() * 6);
                if (r.nextInt(4) == 0) {
                    p[j] = new double[k];
                    p[j][r.nextInt(k)] = 1; // certain rows, with zeros to floor
                }
                labels[j] = r.nextInt(k);
            }
            double t = Temperature.fit(p, labels);
            double before = Metrics.of(p, Probabilities.argmax(p), labels).nll();
            double[][] q = Temperature.apply(p, t);
            double after = Metrics.of(q, Probabilities.argmax(q), labels).nll();
            assertTrue(after <= before + 1e-9, "trial " + trial + ": T " + t + ", NLL " + before + " -> " + after);
            assertEquals(Temperature.nll(p, labels, t), after, 1e-9);
        }
    }

    @Test
    void zerosAreFlooredAndRowsStayDistributions() {
        double[][] p = {{1, 0, 0}, {0, 1, 0}, {0.5, 0.5, 0}};
        int[] labels = {0, 2, 1};
        double t = Temperature.fit(p, labels);
        assertTrue(t > 1 && Double.isFinite(t), "a wrong certain prediction asks for a softer model: " + t);
        double[][] q = Temperature.apply(p, t);
        Probabilities.validate(q, 3, "scaled");
        assertTrue(q[1][2] > 0, "a floored zero becomes a small positive probability");
        assertArrayEquals(p[0], Temperature.apply(p, 1.0)[0], 1e-12, "T = 1 is the identity (up to the floor)");
        assertThrows(IllegalArgumentException.class, () -> Temperature.apply(p, 0));
        assertThrows(IllegalArgumentException.class, () -> Temperature.apply(p, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Temperature.fit(p, new int[] {0, 3, 1}));
    }

    private static double[] randomRow(Random r, int k, double scale) {
        double[] z = new double[k];
        for (int c = 0; c < k; c++) {
            z[c] = r.nextGaussian() * scale;
        }
        return sharpen(exp(z), 1.0);
    }

    private static double[] exp(double[] z) {
        double[] e = new double[z.length];
        for (int c = 0; c < z.length; c++) {
            e[c] = Math.exp(z[c]);
        }
        return e;
    }

    private static double[] sharpen(double[] w, double power) {
        double[] q = new double[w.length];
        double s = 0;
        for (int c = 0; c < w.length; c++) {
            q[c] = Math.pow(w[c], power);
            s += q[c];
        }
        for (int c = 0; c < w.length; c++) {
            q[c] /= s;
        }
        return q;
    }

    private static int sample(Random r, double[] p) {
        double u = r.nextDouble();
        double acc = 0;
        for (int c = 0; c < p.length; c++) {
            acc += p[c];
            if (u < acc) {
                return c;
            }
        }
        return p.length - 1;
    }
}
