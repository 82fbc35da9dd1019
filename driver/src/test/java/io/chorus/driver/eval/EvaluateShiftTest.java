package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.ensemble.Probabilities;
import io.chorus.ensemble.metrics.Metrics;
import io.chorus.worker.data.Corruptions;
import io.chorus.worker.fs.Json;

/**
 * {@code chorus evaluate --set evaluate.shift=true} on copies of the {@link TinyRun} (its members, snapshots,
 * SWA points, heads and MC dropout), once with the shift images in one task per corruption and severity and
 * once in three: the files, the models scored, the metrics recomputed by hand from them, and the same bytes
 * whatever the chunking.
 */
class EvaluateShiftTest {
    @TempDir
    static File tmp;
    static File one;
    static File three;
    static CliRun oneTask;
    static CliRun threeTasks;
    static final String KINDS = "rotation,gaussian_noise";
    static final int LIMIT = 300;

    @BeforeAll
    static void evaluateTwice() throws IOException {
        File source = TinyRun.get().dir();
        one = copy(source, new File(tmp, "one"));
        three = copy(source, new File(tmp, "three"));
        oneTask = evaluate(one, 1);
        threeTasks = evaluate(three, 3);
    }

    private static CliRun evaluate(File run, int tasks) {
        return CliRun.of("evaluate", run.getAbsolutePath(), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
                "--set", "evaluate.shift=true", "--set", "evaluate.shift_limit=" + LIMIT, "--set", "evaluate.batch=100",
                "--set", "evaluate.shift_kinds=" + KINDS, "--set", "evaluate.tasks=" + tasks);
    }

    private static File copy(File from, File to) throws IOException {
        try (Stream<java.nio.file.Path> all = Files.walk(from.toPath())) {
            for (java.nio.file.Path p : all.toList()) {
                java.nio.file.Path target = to.toPath().resolve(from.toPath().relativize(p));
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    private static JsonNode json(File run, String path) throws IOException {
        return Json.MAPPER.readTree(new File(run, path));
    }

    private static FileSystem fs() throws IOException {
        return FileSystem.getLocal(new Configuration()).getRaw();
    }

    private static Set<String> shiftFiles(File run) {
        String[] names = new File(run, "eval/" + ShiftEvaluation.PROBS_SHIFT).list();
        return names == null ? Set.of() : new TreeSet<>(List.of(names));
    }

    @Test
    void theModelsEnsemblesNeedAreScoredAndTheOthersAreNot() throws IOException {
        assertEquals(ExitCode.SUCCESS, threeTasks.code(), threeTasks.err() + threeTasks.out());
        JsonNode settings = json(three, "eval/models.json").get("settings").get("shift");
        List<String> scored = new ArrayList<>();
        settings.get("models").forEach(m -> scored.add(m.asText()));
        Set<String> files = new TreeSet<>();
        scored.forEach(id -> files.add(id + ShiftProbs.SUFFIX));
        assertEquals(files, shiftFiles(three));
        for (String id : List.of("m0", "m1", "m0-swa", "m1-swa", "heads-h0", "heads-h1")) {
            assertTrue(scored.contains(id), id + " not scored: " + scored);
        }
        assertFalse(scored.stream().anyMatch(id -> id.endsWith("-mcd") || id.equals("cross-average")), scored.toString());

        // The best member is the one with the highest validation accuracy at its last epoch, and the snapshots scored
        // are exactly those of its snapshot ensemble.
        String best = settings.get("best_member").asText();
        double bestAcc = -1;
        String expected = null;
        for (int i = 0; i < 2; i++) {
            JsonNode epochs = json(three, "members/member-00" + i + "/member.json").get("epochs");
            double acc = epochs.get(epochs.size() - 1).get("val_accuracy").asDouble();
            if (acc > bestAcc) {
                bestAcc = acc;
                expected = "m" + i;
            }
        }
        assertEquals(expected, best);
        JsonNode metrics = json(three, "eval/metrics.json");
        JsonNode snapshotEnsemble = EvaluateTest.find(metrics.get("ensembles"), "name", "snapshot-" + best);
        List<String> snapshots = scored.stream().filter(id -> id.matches(best + "-s[0-9]+")).toList();
        List<String> members = new ArrayList<>();
        snapshotEnsemble.get("members").forEach(m -> members.add(m.asText()));
        assertEquals(members, snapshots);
        assertTrue(scored.stream().noneMatch(id -> id.matches("m[0-9]+-s[0-9]+") && !id.startsWith(best + "-")), scored.toString());

        JsonNode shift = metrics.get("shift");
        assertEquals(best, shift.get("best_member").asText());
        List<String> rows = new ArrayList<>();
        shift.get("rows").forEach(r -> rows.add(r.get("name").asText()));
        assertEquals(List.of(best, "average", "vote", "average-weighted", "snapshot-" + best, "heads", "m0-swa", "m1-swa"),
                rows);
        assertTrue(metrics.get("notes").toString().contains("not scored under shift"), metrics.get("notes").toString());
    }

    @Test
    void theChunkingChangesNoProbability() throws IOException {
        assertEquals(ExitCode.SUCCESS, oneTask.code(), oneTask.err() + oneTask.out());
        assertEquals(ExitCode.SUCCESS, threeTasks.code(), threeTasks.err() + threeTasks.out());
        int conditions = 2 * Corruptions.SEVERITIES;
        assertTrue(oneTask.out().contains("severities in " + conditions + " task(s)"), oneTask.out());
        assertTrue(threeTasks.out().contains("severities in " + 3 * conditions + " task(s)"), threeTasks.out());
        assertFalse(shiftFiles(one).isEmpty());
        assertEquals(shiftFiles(one), shiftFiles(three));
        for (String f : shiftFiles(one)) {
            assertArrayEquals(Files.readAllBytes(new File(one, "eval/probs-shift/" + f).toPath()),
                    Files.readAllBytes(new File(three, "eval/probs-shift/" + f).toPath()), f);
        }
        assertEquals(json(one, "eval/metrics.json").get("shift"), json(three, "eval/metrics.json").get("shift"));
    }

    @Test
    void theShiftMetricsAreThoseOfTheFilesAndRebuildOffline() throws IOException {
        assertEquals(ExitCode.SUCCESS, threeTasks.code(), threeTasks.err() + threeTasks.out());
        JsonNode shift = json(three, "eval/metrics.json").get("shift");
        String best = shift.get("best_member").asText();
        List<String> kinds = List.of(KINDS.split(","));
        assertEquals(LIMIT, shift.get("examples").asInt());
        ShiftProbs p = ShiftProbs.read(fs(), new Path(new File(three, "eval/probs-shift/" + best + ShiftProbs.SUFFIX)
                .getAbsolutePath()), kinds, LIMIT, 10);
        ProbsCsv clean = ProbsCsv.read(fs(), new Path(new File(three, "eval/probs/" + best + ".csv").getAbsolutePath()));
        assertArrayEquals(java.util.Arrays.copyOf(clean.labels(), LIMIT), p.labels());
        JsonNode row = EvaluateTest.find(shift.get("rows"), "name", best);
        double[][] severity0 = java.util.Arrays.copyOf(clean.p(), LIMIT);
        assertEquals(Metrics.of(severity0, Probabilities.argmax(severity0), p.labels()).accuracy(),
                row.get("by_kind").get("rotation").get(0).get("accuracy").asDouble(), 1e-12);
        double accSum = 0;
        for (int k = 0; k < kinds.size(); k++) {
            float[] flat = p.p()[ShiftProbs.condition(k, Corruptions.SEVERITIES)];
            int right = 0;
            double nll = 0;
            for (int i = 0; i < LIMIT; i++) {
                int argmax = 0;
                for (int c = 1; c < 10; c++) {
                    if (flat[i * 10 + c] > flat[i * 10 + argmax]) {
                        argmax = c;
                    }
                }
                right += argmax == p.labels()[i] ? 1 : 0;
                nll -= Math.log(Math.max(Probabilities.NLL_FLOOR, flat[i * 10 + p.labels()[i]]));
            }
            JsonNode worst = row.get("by_kind").get(kinds.get(k)).get(Corruptions.SEVERITIES);
            assertEquals(right / (double) LIMIT, worst.get("accuracy").asDouble(), 1e-12, kinds.get(k));
            assertEquals(nll / LIMIT, worst.get("nll").asDouble(), 1e-9, kinds.get(k));
            accSum += right / (double) LIMIT;
        }
        assertEquals(accSum / kinds.size(), row.get("worst").get("mean").get("accuracy").asDouble(), 1e-12);
        assertTrue(row.get("by_kind").get("rotation").get(Corruptions.SEVERITIES).get("accuracy").asDouble()
                < row.get("by_kind").get("rotation").get(0).get("accuracy").asDouble(), "rotation by 60 degrees hurts");

        byte[] before = Files.readAllBytes(new File(three, "eval/metrics.json").toPath());
        CliRun offline = CliRun.of("evaluate", three.getAbsolutePath(), "--offline");
        assertEquals(ExitCode.SUCCESS, offline.code(), offline.err());
        assertEquals(new String(before), Files.readString(new File(three, "eval/metrics.json").toPath()));
    }

    @Test
    void theReportPlotsShiftAgainstSeverityAndTabulatesEachKindAtTheWorst() throws IOException {
        assertEquals(ExitCode.SUCCESS, threeTasks.code(), threeTasks.err() + threeTasks.out());
        CliRun report = CliRun.of("report", three.getAbsolutePath());
        assertEquals(ExitCode.SUCCESS, report.code(), report.err());
        String page = Files.readString(new File(three, "report/index.html").toPath());
        assertTrue(page.contains("<section id=\"shift\">"), "no shift section");
        for (String fig : List.of("shift-accuracy", "shift-nll", "shift-ece")) {
            assertTrue(page.contains("id=\"fig-" + fig + "\"><svg "), fig);
        }
        JsonNode shift = json(three, "eval/metrics.json").get("shift");
        String best = shift.get("best_member").asText();
        for (String kind : KINDS.split(",")) {
            int table = page.indexOf("<table class=\"shift-table\" data-kind=\"" + kind + "\">");
            assertTrue(table > 0, kind);
            int row = page.indexOf("<tr data-name=\"heads\">", table);
            double acc = EvaluateTest.find(shift.get("rows"), "name", "heads").get("worst").get("by_kind").get(kind)
                    .get("accuracy").asDouble();
            assertTrue(page.startsWith("<td class=\"num\" data-value=\"" + acc + "\">", page.indexOf("<td class", row)),
                    kind + ": " + page.substring(row, Math.min(page.length(), row + 200)));
        }
        List<String> csv = Files.readAllLines(new File(three, "report/metrics.csv").toPath());
        assertTrue(csv.get(0).endsWith(",shift_accuracy,shift_nll,shift_ece"), csv.get(0));
        JsonNode worst = EvaluateTest.find(shift.get("rows"), "name", best).get("worst").get("mean");
        String bestRow = csv.stream().filter(l -> l.startsWith(best + ",")).findFirst().orElseThrow();
        assertTrue(bestRow.endsWith("," + worst.get("accuracy").asDouble() + "," + worst.get("nll").asDouble() + ","
                + worst.get("ece").asDouble()), bestRow);
        String selection = csv.stream().filter(l -> l.startsWith("selection,")).findFirst().orElseThrow();
        assertTrue(selection.endsWith(",,,"), "selection is not scored under shift: " + selection);
    }
}
