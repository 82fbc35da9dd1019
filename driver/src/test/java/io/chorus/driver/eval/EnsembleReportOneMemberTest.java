package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * metrics.json of a run with one finished member (and one snapshot, one head): average and vote are that
 * member alone, with its own test metrics; what needs two says so in the notes instead of being missing silently.
 */
class EnsembleReportOneMemberTest {
    private static EvalManifest.Entry entry(String id, String kind, int epoch, long iteration) {
        EvalManifest.Entry e = new EvalManifest.Entry();
        e.id = id;
        e.kind = kind;
        e.member = 0;
        e.epoch = epoch;
        e.iteration = iteration;
        return e;
    }

    @Test
    @SuppressWarnings("unchecked")
    void oneMemberIsAnEnsembleOfOneAndTheRestIsNoted() {
        EvalManifest m = new EvalManifest();
        m.classes = 3;
        m.models.add(entry("m0", "member", 2, 20));
        EvalManifest.Entry snap = entry("m0-e2", "snapshot", 2, 20);
        snap.snapshotKinds.add("epoch");
        m.models.add(snap);
        m.models.add(entry("heads-h0", "head", 0, 0));
        double[][] p = {{0.7, 0.2, 0.1}, {0.1, 0.3, 0.6}, {0.5, 0.4, 0.1}, {0.2, 0.5, 0.3}};
        int[] labels = {0, 2, 1, 1};
        Map<String, double[][]> probs = Map.of("m0", p, "m0-e2", p, "heads-h0", p);
        Map<String, Object> out = EnsembleReport.compute(m, new EnsembleReport.Split(labels, probs),
                new EnsembleReport.Split(labels, probs));

        List<Map<String, Object>> ensembles = (List<Map<String, Object>>) out.get("ensembles");
        assertEquals(List.of("average", "vote"), ensembles.stream().map(e -> e.get("name")).toList());
        Map<String, Object> member = ((List<Map<String, Object>>) out.get("models")).get(0);
        for (Map<String, Object> e : ensembles) {
            assertEquals(List.of("m0"), e.get("members"));
            assertEquals(((Map<String, Object>) member.get("test")).get("accuracy"),
                    ((Map<String, Object>) e.get("test")).get("accuracy"), e.get("name") + " of one is the member");
        }
        assertEquals(0.75, (double) ((Map<String, Object>) ensembles.get(0).get("test")).get("accuracy"), 1e-12);
        assertArrayEquals(new Object[] {0.0, 0.0}, ((List<Map<String, Object>>) out.get("gain_over_best_member"))
                .stream().map(g -> g.get("accuracy")).toArray());
        assertFalse(out.containsKey("diversity"));
        List<String> notes = (List<String>) out.get("notes");
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("one finished member: average and vote are that member")
                && n.contains("average-weighted")), notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("snapshot-m0: 1 snapshot(s)")), notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("selection: 1 snapshot(s)")), notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("heads: 1 head")), notes.toString());
    }
}
