package io.chorus.driver.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;
import io.chorus.driver.run.RunLayout;

/**
 * {@code --resume}, {@code evaluate} and {@code snapshots} on a run that was changed behind Chorus's back:
 * another configuration, a garbage or missing manifest. Each is refused naming the file or key, and nothing
 * is rewritten; temporaries a killed command left are removed by the next command that owns the run.
 */
class ResumeHostileTest extends TrainedRunTest {

    private CliRun resume(Path run, String... sets) {
        List<String> args = new java.util.ArrayList<>(List.of("train", job.toString(), "--run-dir", run.toString(), "--resume",
                "--master", "in-process"));
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void aChangedConfigurationIsRefusedListingEveryKeyWithItsOldAndNewValue() {
        Path run = run();
        var before = Hostile.checksums(run);
        CliRun r = resume(run, "model.arch=resnet", "train.epochs=3", "members=3");
        Hostile.assertRefused(r, "model.arch: lenet -> resnet", "train.epochs: 1 -> 3", "members: 2 -> 3", "job.yaml");
        Hostile.assertUnchanged(before);
    }

    @Test
    void evaluationKeysMayChangeOnAResume() {
        Path run = run();
        CliRun r = resume(run, "evaluate.test_limit=50", "min_members=2");
        assertEquals(ExitCode.SUCCESS, r.code(), r.err());
        assertTrue(r.out().contains("member 0 is already finished; not retrained"), r.out());
    }

    @Test
    void aGarbageRunJsonOrJobYamlIsRefusedNamingTheFile() throws IOException {
        Path run = run();
        Files.writeString(run.resolve("run.json"), "{ this is not json");
        Hostile.refused(new Path[] {run}, new String[] {run.resolve("run.json").toString(), "not a readable run manifest"},
                "train", job.toString(), "--run-dir", run.toString(), "--resume", "--master", "in-process");
        Path other = TinyData.copy(trained, tmp.resolve("other"));
        Files.writeString(other.resolve("job.yaml"), "members: [\n");
        Hostile.refused(new Path[] {other}, new String[] {other.resolve("job.yaml").toString(), "not a valid job configuration"},
                "train", job.toString(), "--run-dir", other.toString(), "--resume", "--master", "in-process");
    }

    @Test
    void aMissingRunJsonOrJobYamlIsRefused() throws IOException {
        Path run = run();
        Files.delete(run.resolve("run.json"));
        Hostile.refused(new Path[] {run}, new String[] {"run.json is missing"},
                "train", job.toString(), "--run-dir", run.toString(), "--resume", "--master", "in-process");
        Path other = TinyData.copy(trained, tmp.resolve("other"));
        Files.delete(other.resolve("job.yaml"));
        Hostile.refused(new Path[] {other}, new String[] {"job.yaml is missing"},
                "train", job.toString(), "--run-dir", other.toString(), "--resume", "--master", "in-process");
    }

    @Test
    void aDeletedMemberJsonIsRefusedInsteadOfRetrainingFromScratch() throws IOException {
        Path run = run();
        Path m1 = run.resolve(RunLayout.memberRelative(1)).resolve("member.json");
        Files.delete(m1);
        Hostile.refused(new Path[] {run}, new String[] {m1.toString(), "is missing", "member 1 as finished"},
                "train", job.toString(), "--run-dir", run.toString(), "--resume", "--master", "in-process");
    }

    @Test
    void aMalformedMemberJsonIsBadInputForResumeEvaluateAndSnapshots() throws IOException {
        Path run = run();
        Path m0 = run.resolve(RunLayout.memberRelative(0)).resolve("member.json");
        Files.writeString(m0, "{\"member\": 0, \"snapshots\": [ {");
        Path[] watched = {run};
        Hostile.refused(watched, new String[] {m0.toString(), "not a readable member manifest"},
                "train", job.toString(), "--run-dir", run.toString(), "--resume", "--master", "in-process");
        Hostile.refused(watched, new String[] {m0.toString(), "not a readable"}, "evaluate", run.toString(), "--master", "in-process");
        Hostile.refused(watched, new String[] {m0.toString(), "not a readable"}, "snapshots", run.toString());
    }

    @Test
    void temporariesOfKilledCommandsAreRemovedByTheNextCommandThatOwnsTheRun() throws IOException {
        Path run = run();
        Path snapshots = run.resolve(RunLayout.memberRelative(0)).resolve("snapshots");
        List<Path> stale = List.of(run.resolve(".run.json.tmp-0b6e1f4c-2f0a-4c1e-9d8e-4a5b6c7d8e9f"),
                run.resolve("eval.tmp-1a2b3c4d"), run.resolve("report.old-5e6f7a8b"),
                run.resolve(RunLayout.memberRelative(1)).resolve(".member.json.tmp-0b6e1f4c-2f0a-4c1e-9d8e-4a5b6c7d8e9f"),
                snapshots.resolve(".final-e0001-i00000004-1a2b3c4d.zip.tmp-0b6e1f4c-2f0a-4c1e-9d8e-4a5b6c7d8e9f"));
        for (Path p : stale) {
            if (p.getFileName().toString().startsWith(".")) {
                Files.writeString(p, "half written");
            } else {
                Files.createDirectories(p);
                Files.writeString(p.resolve("metrics.json"), "{");
            }
        }
        var kept = Hostile.checksums(run.resolve("run.json"), run.resolve("job.yaml"), snapshots);
        kept.keySet().removeIf(p -> p.getFileName().toString().contains(".tmp-"));
        CliRun r = resume(run);
        assertEquals(ExitCode.SUCCESS, r.code(), r.err());
        assertTrue(r.out().contains("removed 5 temporary file(s)"), r.out());
        for (Path p : stale) {
            assertFalse(Files.exists(p), p + " is gone");
        }
        kept.remove(run.resolve("run.json"));
        kept.remove(run.resolve("job.yaml"));
        Hostile.assertUnchanged(kept);
    }

    @Test
    void everySubcommandAnswersHelp() {
        for (String command : List.of("train", "evaluate", "report", "predict", "snapshots")) {
            CliRun r = CliRun.of(command, "--help");
            assertEquals(ExitCode.SUCCESS, r.code(), command + ": " + r.err());
            assertTrue(r.out().startsWith("usage: chorus " + command), r.out());
            assertTrue(r.out().contains("--verbose") && r.out().contains("options:"), r.out());
        }
        assertTrue(CliRun.of("train", "--help").out().contains("--overwrite"));
        assertTrue(CliRun.of("predict", "--help").out().contains("--ensemble"));
        CliRun unknown = CliRun.of("snapshots", "--helpme");
        Hostile.assertRefused(unknown, "unknown option --helpme");
    }
}
