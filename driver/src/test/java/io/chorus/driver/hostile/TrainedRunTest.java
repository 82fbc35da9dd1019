package io.chorus.driver.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;

/** Hostile-input tests on a finished run: trained once per class in this JVM, damaged only in per-test copies. */
abstract class TrainedRunTest {
    @TempDir
    static Path shared;
    static Path trained;
    static Path job;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainOnce() throws IOException {
        job = Files.writeString(shared.resolve("job.yaml"), TinyData.job(TinyData.FASHION));
        trained = shared.resolve("run");
        CliRun r = CliRun.of("train", job.toString(), "--run-dir", trained.toString(), "--master", "in-process");
        assertEquals(ExitCode.SUCCESS, r.code(), r.err());
    }

    /** A copy of the trained run for one test to damage. */
    Path run() {
        return TinyData.copy(trained, tmp.resolve("run"));
    }
}
