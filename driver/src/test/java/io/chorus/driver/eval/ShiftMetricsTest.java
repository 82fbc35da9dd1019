package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.worker.data.Corruptions;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;

/**
 * The shift section of eval/metrics.json from hand-made probability files: two classes, four test images,
 * member m0 right and confident on clean images but wrong at rotation severity 5, member m1 right everywhere,
 * and a trajectory average m0-swa.
 */
class ShiftMetricsTest {
    @TempDir
    File tmp;

    private static final int[] LABELS = {0, 1, 0, 1};
    private static final List<String> KINDS = List.of("rotation", "contrast");

    private FileSystem fs() throws IOException {
        return FileSystem.getLocal(new Configuration()).getRaw();
    }

    /** Probability {@code pTrue} on each image's true class, flattened. */
    private static float[] flat(float pTrue) {
        float[] p = new float[LABELS.length * 2];
        for (int i = 0; i < LABELS.length; i++) {
            p[i * 2 + LABELS[i]] = pTrue;
            p[i * 2 + 1 - LABELS[i]] = 1 - pTrue;
        }
        return p;
    }

    /** pTrue per (kind, severity 1..5); {@code wrongAt5} sets rotation severity 5 to 0.2. */
    private static float[][] shifted(float pTrue, boolean wrongAt5) {
        float[][] p = new float[KINDS.size() * Corruptions.SEVERITIES][];
        for (int k = 0; k < KINDS.size(); k++) {
            for (int s = 1; s <= Corruptions.SEVERITIES; s++) {
                p[ShiftProbs.condition(k, s)] = flat(wrongAt5 && k == 0 && s == 5 ? 0.2f : pTrue);
            }
        }
        return p;
    }

    private static EvalManifest.Entry entry(String id, String kind, int member) {
        EvalManifest.Entry e = new EvalManifest.Entry();
        e.id = id;
        e.kind = kind;
        e.member = member;
        return e;
    }

    /** Writes the evaluation; {@code scored} are the models with shift files, {@code best} the recorded best. */
    private Path write(List<String> scored, String best) throws IOException {
        FileSystem fs = fs();
        Path dir = new Path(new File(tmp, "eval").getAbsolutePath());
        Map<String, Float> clean = Map.of("m0", 0.9f, "m1", 0.7f, "m0-swa", 0.6f);
        Map<String, float[][]> shift = Map.of("m0", shifted(0.9f, true), "m1", shifted(0.7f, false),
                "m0-swa", shifted(0.6f, false));
        EvalManifest m = new EvalManifest();
        m.classes = 2;
        m.models = new ArrayList<>(List.of(entry("m0", "member", 0), entry("m1", "member", 1), entry("m0-swa", "swa", 0)));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("kinds", KINDS);
        settings.put("severities", Corruptions.SEVERITIES);
        settings.put("limit", LABELS.length);
        settings.put("examples", LABELS.length);
        settings.put("seed", 7L);
        settings.put("best_member", best);
        settings.put("models", scored);
        m.settings.put("weights", "0.5,0.5");
        m.settings.put(ShiftEvaluation.SETTINGS, settings);
        for (String id : clean.keySet()) {
            ProbsCsv.write(fs, new Path(new Path(dir, EvaluateJob.PROBS), id + ".csv"), 0, LABELS, flat(clean.get(id)), 2);
            ProbsCsv.write(fs, new Path(new Path(dir, EvaluateJob.PROBS_VALIDATION), id + ".csv"), 0, LABELS,
                    flat(clean.get(id)), 2);
        }
        for (String id : scored) {
            ShiftProbs.write(fs, new Path(new Path(dir, ShiftEvaluation.PROBS_SHIFT), id + ShiftProbs.SUFFIX), KINDS,
                    LABELS, shift.get(id), 2);
        }
        HadoopFiles.writeAtomically(fs, new Path(dir, EvalManifest.NAME), Json.write(m));
        return dir;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> row(Map<String, Object> shift, String name) {
        for (Map<String, Object> r : (List<Map<String, Object>>) shift.get("rows")) {
            if (r.get("name").equals(name)) {
                return r;
            }
        }
        throw new AssertionError("no shift row " + name + " in " + shift.get("rows"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> point(Map<String, Object> row, String kind, int severity) {
        Map<String, Object> p = ((Map<String, List<Map<String, Object>>>) row.get("by_kind")).get(kind).get(severity);
        assertEquals(severity, p.get("severity"));
        return p;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mean(Map<String, Object> row, int severity) {
        return ((List<Map<String, Object>>) row.get("mean")).get(severity);
    }

    private static double d(Object o) {
        return ((Number) o).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> shift(Path dir) throws IOException {
        Map<String, Object> out = EnsembleReport.compute(fs(), dir);
        assertTrue(out.containsKey("shift"), out.keySet().toString());
        return (Map<String, Object>) out.get("shift");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aMemberRightOnCleanImagesAndWrongAtSeverity5ScoresSoPerKindAndOnAverage() throws IOException {
        Map<String, Object> shift = shift(write(List.of("m0", "m1", "m0-swa"), "m0"));
        assertEquals(KINDS, shift.get("kinds"));
        assertEquals(List.of(0, 1, 2, 3, 4, 5), shift.get("severities"));
        Map<String, Object> m0 = row(shift, "m0");
        assertEquals("best-member", m0.get("kind"));

        assertEquals(1.0, d(point(m0, "rotation", 0).get("accuracy")), 0);
        assertEquals(-Math.log(0.9f), d(point(m0, "rotation", 0).get("nll")), 1e-6);
        assertEquals(1 - 0.9f, d(point(m0, "rotation", 0).get("ece")), 1e-6);
        assertEquals(1.0, d(point(m0, "rotation", 4).get("accuracy")), 0);
        assertEquals(0.0, d(point(m0, "rotation", 5).get("accuracy")), 0);
        assertEquals(-Math.log(0.2f), d(point(m0, "rotation", 5).get("nll")), 1e-6);
        assertEquals(0.8f, d(point(m0, "rotation", 5).get("ece")), 1e-6, "confidence 0.8, accuracy 0");
        assertEquals(1.0, d(point(m0, "contrast", 5).get("accuracy")), 0);

        assertEquals(0.5, d(mean(m0, 5).get("accuracy")), 1e-12, "mean over the two kinds");
        assertEquals((-Math.log(0.2f) - Math.log(0.9f)) / 2, d(mean(m0, 5).get("nll")), 1e-6);
        assertEquals(1.0, d(mean(m0, 4).get("accuracy")), 0);
        Map<String, Object> worst = (Map<String, Object>) m0.get("worst");
        assertEquals(Corruptions.SEVERITIES, worst.get("severity"));
        assertEquals(mean(m0, 5).get("nll"), ((Map<String, Object>) worst.get("mean")).get("nll"));
        assertEquals(0.0, d(((Map<String, Map<String, Object>>) worst.get("by_kind")).get("rotation").get("accuracy")), 0);

        // The average of 0.2 and 0.7 on the true class is 0.45: wrong; the vote is tied and goes to the class with
        // the larger summed probability (1.1 against 0.9): wrong too.
        Map<String, Object> avg = row(shift, "average");
        assertEquals(List.of("m0", "m1"), avg.get("members"));
        assertEquals(0.0, d(point(avg, "rotation", 5).get("accuracy")), 0);
        assertEquals(-Math.log((0.2f + 0.7f) / 2), d(point(avg, "rotation", 5).get("nll")), 1e-6);
        assertEquals(-Math.log((0.9f + 0.7f) / 2), d(point(avg, "contrast", 5).get("nll")), 1e-6);
        assertEquals(0.0, d(point(row(shift, "vote"), "rotation", 5).get("accuracy")), 0);
        assertEquals(1.0, d(point(row(shift, "vote"), "rotation", 4).get("accuracy")), 0);
        assertEquals(-Math.log((0.2f + 0.7f) / 2), d(point(row(shift, "average-weighted"), "rotation", 5).get("nll")),
                1e-6, "weights 0.5, 0.5");
        Map<String, Object> swa = row(shift, "m0-swa");
        assertEquals("swa", swa.get("kind"));
        assertEquals(-Math.log(0.6f), d(mean(swa, 3).get("nll")), 1e-6);
    }

    @Test
    void theRecordedBestMemberIsTheOneShownAndMissingFilesAreNotedOrRefused() throws IOException {
        Map<String, Object> shift = shift(write(List.of("m1"), "m1"));
        assertEquals("m1", shift.get("best_member"));
        assertEquals("best-member", row(shift, "m1").get("kind"));
        assertThrows(AssertionError.class, () -> row(shift, "average"));
        assertThrows(AssertionError.class, () -> row(shift, "m0-swa"));
        assertTrue(shift.get("notes").toString().contains("average: m0 not scored under shift"), shift.get("notes").toString());

        Path dir = write(List.of("m0", "m1"), "m0");
        fs().delete(new Path(new Path(dir, ShiftEvaluation.PROBS_SHIFT), "m1" + ShiftProbs.SUFFIX), false);
        IOException e = assertThrows(IOException.class, () -> EnsembleReport.compute(fs(), dir));
        assertTrue(e.getMessage().contains("m1" + ShiftProbs.SUFFIX), e.getMessage());
    }

    @Test
    void withoutShiftSettingsMetricsJsonHasNoShiftSection() throws IOException {
        Path dir = write(List.of("m0", "m1"), "m0");
        EvalManifest m = Json.read(HadoopFiles.readAll(fs(), new Path(dir, EvalManifest.NAME)), EvalManifest.class, "m");
        m.settings.remove(ShiftEvaluation.SETTINGS);
        HadoopFiles.writeAtomically(fs(), new Path(dir, EvalManifest.NAME), Json.write(m));
        assertFalse(EnsembleReport.compute(fs(), dir).containsKey("shift"));
    }

    @Test
    void aShiftFileWithARowOutOfPlaceIsRefusedNamingTheLine() throws IOException {
        Path f = new Path(new File(tmp, "m0.csv.gz").getAbsolutePath());
        ShiftProbs.write(fs(), f, KINDS, LABELS, shifted(0.9f, true), 2);
        IOException e = assertThrows(IOException.class, () -> ShiftProbs.read(fs(), f, List.of("contrast", "rotation"),
                LABELS.length, 2));
        assertTrue(e.getMessage().contains("line 2 should begin contrast,1,0,"), e.getMessage());
        ShiftProbs back = ShiftProbs.read(fs(), f, KINDS, LABELS.length, 2);
        assertEquals(0.2f, back.p()[ShiftProbs.condition(0, 5)][LABELS[0]], 0);
    }
}
