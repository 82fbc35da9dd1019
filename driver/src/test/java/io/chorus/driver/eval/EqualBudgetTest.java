package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.chorus.worker.train.EpochMetrics;

/**
 * Training costs and the equal-budget rows of metrics.json: each trajectory counted once in an ensemble, derived
 * builds added, the reference model of compare.single_budget compared with the ensemble but never part of it.
 */
class EqualBudgetTest {
    private static final int[] TEST_LABELS = {0, 1, 2, 0};
    private static final int[] VAL_LABELS = {0, 1, 2};

    private static EvalManifest.Entry entry(String id, ModelRef.Kind kind, int member, int epoch, double coreSeconds) {
        EvalManifest.Entry e = new EvalManifest.Entry();
        e.id = id;
        e.kind = kind.configName();
        e.member = member;
        e.epoch = epoch;
        e.iteration = epoch * 10L;
        e.memberEpochs = (double) epoch;
        e.coreSeconds = coreSeconds;
        if (kind == ModelRef.Kind.SNAPSHOT) {
            e.snapshotKinds = new java.util.ArrayList<>(List.of("cycle"));
        }
        return e;
    }

    /** Probabilities that put {@code confidence} on the label for the first {@code right} examples, else on the next class. */
    private static double[][] probs(int[] labels, int right, double confidence) {
        double[][] p = new double[labels.length][3];
        for (int j = 0; j < labels.length; j++) {
            int k = j < right ? labels[j] : (labels[j] + 1) % 3;
            for (int c = 0; c < 3; c++) {
                p[j][c] = c == k ? confidence : (1 - confidence) / 2;
            }
        }
        return p;
    }

    @Test
    void theCostOfATrajectoryIsItsEpochsSecondsTimesItsThreadsUpToTheSnapshot() {
        List<EpochMetrics> epochs = List.of(new EpochMetrics(1, 1, 1, 0.5, 0.1, 100, 10, 1),
                new EpochMetrics(2, 1, 1, 0.6, 0.1, 100, 12, 1), new EpochMetrics(3, 1, 1, 0.7, 0.1, 100, 14, 1));
        assertEquals(new TrainingCost(2, 2 * (10 + 12)), TrainingCost.of(epochs, 2, 2));
        assertEquals(new TrainingCost(3, 36), TrainingCost.of(epochs, 3, 1));
        assertEquals(TrainingCost.NONE, TrainingCost.of(epochs, 0, 1), "the initialization costs nothing");
    }

    @Test
    void ensemblesCountEachTrajectoryOnceAndTheirBuildsOnTop() {
        Map<String, EvalManifest.Entry> byId = new LinkedHashMap<>();
        for (EvalManifest.Entry e : List.of(entry("m0", ModelRef.Kind.MEMBER, 0, 4, 40),
                entry("m0-s0", ModelRef.Kind.SNAPSHOT, 0, 2, 20), entry("m0-s1", ModelRef.Kind.SNAPSHOT, 0, 4, 40),
                entry("m1", ModelRef.Kind.MEMBER, 1, 4, 44), entry("heads-h0", ModelRef.Kind.HEAD, 0, 4, 45),
                entry("heads-h1", ModelRef.Kind.HEAD, 0, 4, 46), entry("cross", ModelRef.Kind.CROSS_AVERAGE, -1, 4, 90))) {
            byId.put(e.id, e);
        }
        byId.get("heads-h0").buildSeconds = 5.0;
        byId.get("heads-h1").buildSeconds = 6.0;
        assertEquals(new TrainingCost(4, 40), TrainingCost.ofEnsemble(List.of("m0-s0", "m0-s1"), byId),
                "a snapshot ensemble of one run costs that run");
        assertEquals(new TrainingCost(2, 20), TrainingCost.ofEnsemble(List.of("m0-s0", "m0-s0"), byId));
        assertEquals(new TrainingCost(8, 84), TrainingCost.ofEnsemble(List.of("m0", "m1", "m0-s1"), byId));
        assertEquals(new TrainingCost(4, 40 + 5 + 6), TrainingCost.ofEnsemble(List.of("heads-h0", "heads-h1"), byId),
                "heads cost their backbone's run once plus each head's training");
        assertEquals(new TrainingCost(8, 90 + 44), TrainingCost.ofEnsemble(List.of("cross", "m1"), byId));
        byId.get("m1").coreSeconds = null;
        assertNull(TrainingCost.ofEnsemble(List.of("m0", "m1"), byId), "a model without a recorded cost");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theReferenceIsComparedWithTheEnsembleAtItsCostButNeverJoinsIt() {
        EvalManifest m = new EvalManifest();
        m.classes = 3;
        m.settings.put("snapshot_last", 5);
        m.settings.put("selection_rounds", 4);
        m.settings.put("weights", "fit");
        m.models.addAll(List.of(entry("m0", ModelRef.Kind.MEMBER, 0, 2, 20), entry("m0-s0", ModelRef.Kind.SNAPSHOT, 0, 1, 10),
                entry("m0-s1", ModelRef.Kind.SNAPSHOT, 0, 2, 20), entry("m1", ModelRef.Kind.MEMBER, 1, 2, 22),
                entry("m1-s0", ModelRef.Kind.SNAPSHOT, 1, 2, 22), entry("m2", ModelRef.Kind.SINGLE_BUDGET, 2, 4, 41),
                entry("m2-s0", ModelRef.Kind.SNAPSHOT, 2, 2, 20), entry("m2-s1", ModelRef.Kind.SNAPSHOT, 2, 4, 41)));
        Map<String, double[][]> test = new LinkedHashMap<>();
        Map<String, double[][]> val = new LinkedHashMap<>();
        int k = 0;
        for (EvalManifest.Entry e : m.models) {
            test.put(e.id, probs(TEST_LABELS, e.id.equals("m2") ? 4 : 2 + k % 2, 0.6 + 0.03 * k));
            val.put(e.id, probs(VAL_LABELS, e.id.equals("m1") ? 3 : 2, 0.7));
            k++;
        }
        Map<String, Object> out = EnsembleReport.compute(m, new EnsembleReport.Split(TEST_LABELS, test),
                new EnsembleReport.Split(VAL_LABELS, val));

        List<Map<String, Object>> ensembles = (List<Map<String, Object>>) out.get("ensembles");
        Map<String, Object> average = ensembles.stream().filter(e -> e.get("name").equals("average")).findFirst().orElseThrow();
        assertEquals(List.of("m0", "m1"), average.get("members"));
        assertEquals(Map.of("member_epochs", 4.0, "core_seconds", 42.0), average.get("cost"));
        Map<String, Object> selection = ensembles.stream().filter(e -> e.get("name").equals("selection")).findFirst()
                .orElseThrow();
        assertFalse(((List<String>) selection.get("members")).stream().anyMatch(id -> id.startsWith("m2")),
                "selection draws on the members' snapshots only: " + selection.get("members"));
        assertTrue(ensembles.stream().anyMatch(e -> e.get("name").equals("snapshot-m2")),
                "the reference's own snapshot ensemble is shown");
        assertEquals("m1", out.get("best_member"));

        List<Map<String, Object>> rows = (List<Map<String, Object>>) out.get("equal_budget");
        Map<String, Object> one = rows.get(0);
        assertEquals("one member", one.get("name"));
        assertEquals(2.0, one.get("member_epochs"));
        Map<String, Object> ref = rows.get(1);
        assertEquals("single model, same budget", ref.get("name"));
        assertEquals(4.0, ref.get("member_epochs"));
        assertEquals(41.0, ref.get("core_seconds"));
        assertEquals(1.0, ref.get("accuracy"), "the reference is right on all four test images");
        assertEquals(List.of("one member", "single model, same budget", "average", "vote", "average-weighted",
                "selection", "snapshot-m0", "snapshot-m2"), rows.stream().map(r -> r.get("name")).toList());
    }
}
