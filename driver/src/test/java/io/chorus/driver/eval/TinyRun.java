package io.chorus.driver.eval;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;

import io.chorus.driver.CliRun;

/**
 * One tiny run through real Spark (local[2]), trained once per test JVM and shared by the tests that read
 * it: three LeNet members with batch norm and dropout on a cyclic schedule with SWA points, member 2 made to
 * diverge, then the evaluation (every model kind, the cross-member average included) and the report at the
 * end of {@code chorus train}.
 */
public record TinyRun(File dir, CliRun train) {
    public static final String JOB = "members: 3\nseed: 5\ndata:\n  dir: /usr/share/datasets/fashion-mnist\n  limit: 1500\n"
            + "  validation: 300\nmodel:\n  batchnorm: true\n  dropout: 0.3\n"
            + "train:\n  epochs: 3\n  batch: 50\n  lr: 0.05\n  schedule: cyclic\n  cycles: 3\n"
            + "snapshots:\n  every: 1\nswa:\n  start: 0.3\n  every: 1\n"
            + "evaluate:\n  test_limit: 1000\n  tasks: 3\n"
            + "ensemble:\n  cross_average: true\n  snapshot_last: 3\n  selection_rounds: 5\n"
            + "heads:\n  count: 2\n  epochs: 2\n  layers: 1\n  hidden: 64\nmc_dropout:\n  passes: 4\n";

    private static TinyRun shared;

    /** The run, training it on first use. */
    public static synchronized TinyRun get() throws IOException {
        if (shared == null) {
            File tmp = Files.createTempDirectory("chorus-tiny-run").toFile();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(tmp)));
            File job = new File(tmp, "job.yaml");
            Files.writeString(job.toPath(), JOB);
            File run = new File(tmp, "run");
            CliRun train = CliRun.of("train", job.getAbsolutePath(), "--run-dir", run.getAbsolutePath(),
                    "--master", "local[2]", "--conf", "spark.ui.enabled=false",
                    "--conf", "spark.chorus.test.faults=nan:member=2,iteration=20");
            shared = new TinyRun(run, train);
        }
        return shared;
    }

    private static void delete(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (File c : children) {
                delete(c);
            }
        }
        f.delete();
    }
}
