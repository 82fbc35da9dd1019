package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * metrics.json's temperature-scaled metrics: T fitted on the validation probabilities, the test metrics of the
 * test probabilities scaled with it, checked against the scaling and the NLL written out here by hand.
 */
class EnsembleReportTemperatureTest {
    private static EvalManifest.Entry member(String id, int member) {
        EvalManifest.Entry e = new EvalManifest.Entry();
        e.id = id;
        e.kind = "member";
        e.member = member;
        e.epoch = 1;
        e.iteration = 10;
        return e;
    }

    /** Scales a row by hand: p^(1/T) renormalized, which is softmax(ln p / T). */
    private static double[] scaled(double[] row, double t) {
        double[] q = new double[row.length];
        double s = 0;
        for (int k = 0; k < row.length; k++) {
            q[k] = Math.pow(row[k], 1 / t);
            s += q[k];
        }
        for (int k = 0; k < row.length; k++) {
            q[k] /= s;
        }
        return q;
    }

    private static double handNll(double[][] p, int[] labels, double t) {
        double s = 0;
        for (int j = 0; j < p.length; j++) {
            s -= Math.log(scaled(p[j], t)[labels[j]]);
        }
        return s / p.length;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theCalibratedNllIsThatOfTheTestProbabilitiesScaledWithTheFittedTemperature() {
        EvalManifest m = new EvalManifest();
        m.classes = 3;
        m.models.add(member("m0", 0));
        m.models.add(member("m1", 1));
        // Overconfident on validation: right 3 times of 5 with 0.9 each time.
        double[][] v0 = {{0.9, 0.05, 0.05}, {0.05, 0.9, 0.05}, {0.9, 0.05, 0.05}, {0.05, 0.05, 0.9}, {0.9, 0.05, 0.05}};
        double[][] v1 = {{0.6, 0.3, 0.1}, {0.2, 0.7, 0.1}, {0.3, 0.4, 0.3}, {0.1, 0.2, 0.7}, {0.5, 0.25, 0.25}};
        int[] vl = {0, 1, 1, 2, 2};
        double[][] t0 = {{0.9, 0.05, 0.05}, {0.05, 0.05, 0.9}, {0.05, 0.9, 0.05}, {0.9, 0.05, 0.05}};
        double[][] t1 = {{0.5, 0.3, 0.2}, {0.2, 0.2, 0.6}, {0.3, 0.5, 0.2}, {0.2, 0.7, 0.1}};
        int[] tl = {0, 2, 0, 1};
        Map<String, Object> out = EnsembleReport.compute(m,
                new EnsembleReport.Split(tl, Map.of("m0", t0, "m1", t1)),
                new EnsembleReport.Split(vl, Map.of("m0", v0, "m1", v1)));

        Map<String, Object> m0 = ((List<Map<String, Object>>) out.get("models")).get(0);
        Map<String, Object> ts = (Map<String, Object>) m0.get("temperature_scaled");
        double t = (double) ts.get("temperature");
        assertTrue(t > 1, "an overconfident member is softened: T = " + t);
        Map<String, Object> scaledTest = (Map<String, Object>) ts.get("test");
        assertEquals(handNll(t0, tl, t), (double) scaledTest.get("nll"), 1e-12);
        assertEquals(((Map<String, Object>) m0.get("test")).get("accuracy"), scaledTest.get("accuracy"),
                "scaling keeps every predicted class");
        // Brier of the scaled rows, by hand.
        double brier = 0;
        for (int j = 0; j < t0.length; j++) {
            double[] q = scaled(t0[j], t);
            for (int k = 0; k < 3; k++) {
                brier += Math.pow(q[k] - (k == tl[j] ? 1 : 0), 2);
            }
        }
        assertEquals(brier / t0.length, (double) scaledTest.get("brier"), 1e-12);
        // The fitted T is the validation optimum: nudging it either way raises the validation NLL.
        double at = handNll(v0, vl, t);
        assertTrue(handNll(v0, vl, t * 1.01) > at && handNll(v0, vl, t / 1.01) > at);
        assertTrue(at <= handNll(v0, vl, 1.0), "no worse than unscaled on the fitting split");

        // The average has its own temperature, fitted on the averaged validation probabilities.
        Map<String, Object> avg = ((List<Map<String, Object>>) out.get("ensembles")).get(0);
        assertEquals("average", avg.get("name"));
        double[][] av = new double[5][3];
        double[][] at4 = new double[4][3];
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < 5; j++) {
                av[j][k] = (v0[j][k] + v1[j][k]) / 2;
            }
            for (int j = 0; j < 4; j++) {
                at4[j][k] = (t0[j][k] + t1[j][k]) / 2;
            }
        }
        Map<String, Object> ats = (Map<String, Object>) avg.get("temperature_scaled");
        double ta = (double) ats.get("temperature");
        assertTrue(handNll(av, vl, ta) <= Math.min(handNll(av, vl, ta * 1.01), handNll(av, vl, ta / 1.01)));
        assertEquals(handNll(at4, tl, ta), (double) ((Map<String, Object>) ats.get("test")).get("nll"), 1e-12);

        // The uncalibrated keys are where they were.
        assertEquals(List.of("accuracy", "nll", "brier", "ece", "per_class_accuracy", "confusion", "reliability"),
                List.copyOf(((Map<String, Object>) m0.get("test")).keySet()));
        Map<String, Object> vote = ((List<Map<String, Object>>) out.get("ensembles")).get(1);
        assertEquals("vote", vote.get("name"));
        assertFalse(vote.containsKey("temperature_scaled"), "vote shares are not a model's probabilities");
    }
}
