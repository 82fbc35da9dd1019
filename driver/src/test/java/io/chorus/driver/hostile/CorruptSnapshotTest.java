package io.chorus.driver.hostile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.eval.ProbsCsv;
import io.chorus.driver.eval.TinyRun;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.SnapshotKind;
import io.chorus.worker.train.SnapshotRecord;
import io.chorus.worker.train.SnapshotStore;

/**
 * A finished member whose final snapshot no longer matches its checksum is not dropped from the
 * evaluation: on a copy of the tiny trained run with member 1's final snapshot corrupted, {@code chorus
 * evaluate} evaluates member 1 as its newest snapshot that verifies, says so in one console line, in
 * eval/metrics.json (a note and the model's {@code fallback}) and in the report, keeps member 1 in the
 * average ensemble, and uses the corrupt file nowhere (not in the snapshot list, not in the SWA average).
 */
class CorruptSnapshotTest {
    @TempDir
    static Path tmp;
    static Path run;
    static String corrupt;
    static String used;
    static String usedId;
    static int swaVerified;
    static CliRun evaluate;
    static CliRun report;
    static JsonNode metrics;

    @BeforeAll
    static void corruptAndEvaluate() throws IOException {
        Path original = TinyRun.get().dir().toPath();
        run = tmp.resolve("run");
        copy(original, run); // with its evaluation and report, which the new ones replace

        Path member = run.resolve("members/member-001");
        FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
        MemberManifest m = new SnapshotStore(fs, new org.apache.hadoop.fs.Path(member.toString())).readManifest()
                .orElseThrow();
        List<SnapshotRecord> snaps = m.getSnapshots();
        SnapshotRecord fin = snaps.stream().filter(s -> s.hasKind(SnapshotKind.FINAL)).findFirst().orElseThrow();
        int newest = -1;
        for (int j = 0; j < snaps.size(); j++) {
            SnapshotRecord s = snaps.get(j);
            if (s != fin && (newest < 0 || s.iteration() > snaps.get(newest).iteration())) {
                newest = j;
            }
            if (s != fin && s.hasKind(SnapshotKind.SWA)) {
                swaVerified++;
            }
        }
        assertTrue(newest >= 0, "member 1 has a snapshot besides its final one");
        corrupt = "members/member-001/" + fin.path();
        used = "members/member-001/" + snaps.get(newest).path();
        usedId = "m1-s" + newest;
        // Same length, other bytes: only the checksum can tell.
        try (RandomAccessFile f = new RandomAccessFile(run.resolve(corrupt).toFile(), "rw")) {
            f.seek(f.length() / 2);
            byte[] b = new byte[64];
            f.readFully(b);
            for (int i = 0; i < b.length; i++) {
                b[i] ^= (byte) 0x5a;
            }
            f.seek(f.length() / 2);
            f.write(b);
        }

        evaluate = CliRun.of("evaluate", run.toString(), "--master", "in-process");
        report = CliRun.of("report", run.toString());
        metrics = Json.MAPPER.readTree(run.resolve("eval/metrics.json").toFile());
    }

    @Test
    void theConsoleSaysWhichSnapshotStandsInForTheMember() {
        assertEquals(ExitCode.SUCCESS, evaluate.code(), evaluate.out() + evaluate.err());
        List<String> lines = evaluate.out().lines().filter(l -> l.contains(corrupt)).toList();
        assertEquals(1, lines.size(), "one line names the corrupt file:\n" + evaluate.out());
        String line = lines.get(0);
        assertTrue(line.contains("m1") && line.contains("fails its checksum") && line.contains(used)
                && line.contains(usedId), line);
    }

    @Test
    void metricsJsonRecordsTheFallbackAndTheMemberStaysInTheAverage() throws IOException {
        JsonNode m1 = null;
        List<String> ids = new ArrayList<>();
        for (JsonNode m : metrics.get("models")) {
            ids.add(m.get("id").asText());
            if (m.get("id").asText().equals("m1")) {
                m1 = m;
            }
        }
        assertTrue(m1 != null, "member 1 is evaluated: " + ids);
        assertEquals(corrupt, m1.path("fallback").path("corrupt").asText(), m1.toString());
        assertEquals(used, m1.path("fallback").path("used").asText(), m1.toString());
        assertEquals(usedId, m1.path("fallback").path("snapshot").asText(), m1.toString());
        assertTrue(ids.contains(usedId), "the snapshot standing in is itself in the library: " + ids);
        assertEquals(m1.path("test").path("accuracy").asDouble(), find(metrics.get("models"), usedId).path("test")
                .path("accuracy").asDouble(), 0.0, "member 1 scores as the snapshot it is");
        assertFalse(metrics.get("excluded").toString().contains("m1"), metrics.get("excluded").toString());
        boolean noted = false;
        for (JsonNode n : metrics.get("notes")) {
            noted |= n.asText().contains(corrupt) && n.asText().contains(used);
        }
        assertTrue(noted, "metrics.json notes: " + metrics.get("notes"));
        JsonNode average = find(metrics.get("ensembles"), "average");
        assertTrue(average.get("members").toString().contains("\"m1\""), average.toString());

        FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
        double[][] member = ProbsCsv.read(fs, new org.apache.hadoop.fs.Path(run.resolve("eval/probs/m1.csv").toString())).p();
        double[][] snapshot = ProbsCsv.read(fs, new org.apache.hadoop.fs.Path(run.resolve("eval/probs/" + usedId + ".csv")
                .toString())).p();
        for (int i = 0; i < member.length; i++) {
            assertArrayEquals(snapshot[i], member[i], 0.0, "row " + i);
        }
    }

    @Test
    void theCorruptFileIsUsedNowhere() throws IOException {
        JsonNode models = Json.MAPPER.readTree(run.resolve("eval/models.json").toFile());
        for (JsonNode m : models.get("models")) {
            assertFalse(m.path("path").asText().equals(corrupt), m.toString());
        }
        JsonNode swa = find(models.get("models"), "m1-swa");
        assertTrue(swa.path("note").asText().startsWith(swaVerified + " snapshots of member 1"), swa.toString());
    }

    @Test
    void theReportShowsTheFallback() throws IOException {
        assertEquals(ExitCode.SUCCESS, report.code(), report.out() + report.err());
        String html = Files.readString(run.resolve("report/index.html"));
        int notes = html.indexOf("Evaluation notes");
        assertTrue(notes >= 0, "the report has evaluation notes");
        String section = html.substring(notes);
        assertTrue(section.contains(corrupt) && section.contains(used), "the report names both files");
    }

    private static JsonNode find(JsonNode array, String name) {
        for (JsonNode n : array) {
            if (n.path("id").asText(n.path("name").asText()).equals(name)) {
                return n;
            }
        }
        throw new AssertionError("no " + name + " in " + array);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
