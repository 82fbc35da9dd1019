package io.chorus.driver.report;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.fs.Json;
import io.chorus.worker.train.EpochMetrics;
import io.chorus.worker.train.InitDiagnostics;
import io.chorus.worker.train.MemberManifest;
import io.chorus.worker.train.SnapshotRecord;

/**
 * A small run directory written by hand: two members of three classes with two epochs each, a snapshot, an
 * SWA average, the cross-member average, two heads and four ensembles, with round numbers chosen so that
 * every cost and every best-of-column can be checked by hand.
 */
final class ReportFixture {
    /** Member training seconds: epochs of 10 + 20 s for m0, 15 + 15 s for m1. */
    static final double M0_SECONDS = 30;
    static final double M1_SECONDS = 30;

    private ReportFixture() {
    }

    static File write(File dir, boolean withDiagnostics) throws IOException {
        Files.createDirectories(dir.toPath().resolve("eval"));
        Files.writeString(dir.toPath().resolve("job.yaml"), "members: 2\nseed: 7\ndata:\n  dir: /data/shapes\n");
        Files.writeString(dir.toPath().resolve("run.json"), RUN);
        member(dir, 0, 10, 20, withDiagnostics);
        member(dir, 1, 15, 15, withDiagnostics);
        Files.writeString(dir.toPath().resolve("eval/metrics.json"), METRICS);
        Files.writeString(dir.toPath().resolve("eval/models.json"), MODELS);
        return dir;
    }

    private static void member(File run, int id, double first, double second, boolean diagnostics) throws IOException {
        MemberManifest m = new MemberManifest(id, 100 + id, "lenet", 1000, new ImageShape(8, 8, 1), 3,
                new Normalization(new float[] {0.5f}, new float[] {0.25f}), 2, 10, 500);
        m.addEpoch(new EpochMetrics(1, 1.0 - 0.1 * id, 0.9, 0.6, 0.05, 100, first, 1));
        m.addEpoch(new EpochMetrics(2, 0.7, 0.8, 0.7 + 0.01 * id, 0.01, 100, second, 1));
        m.addTraining(1000, first + second);
        m.addSnapshot(new SnapshotRecord("snapshots/e1.zip", "00", 1, 10, 0.05, List.of("epoch"), 0.6, 0.9));
        m.addSnapshot(new SnapshotRecord("snapshots/e2.zip", "11", 2, 20, 0.01, List.of("epoch", "final"), 0.7, 0.8));
        if (id == 1) {
            m.quarantine(new SnapshotRecord("snapshots/e1-bad.zip", "aa", 1, 10, 0.05, List.of("epoch"), null, null),
                    "bb", "2026-01-01T00:00:30Z");
        }
        m.finish(io.chorus.worker.train.MemberStatus.FINISHED, null);
        ObjectNode json = Json.MAPPER.valueToTree(m);
        if (diagnostics) {
            List<InitDiagnostics.LayerStats> layers = new ArrayList<>();
            layers.add(new InitDiagnostics.LayerStats("conv1", "ConvolutionLayer", 1.2, List.of(0.5, 0.4)));
            layers.add(new InitDiagnostics.LayerStats("bn1", "BatchNormalization", 1.0, List.of(0.1, 0.1)));
            layers.add(new InitDiagnostics.LayerStats("pool1", "SubsamplingLayer", 0.9, List.of()));
            layers.add(new InitDiagnostics.LayerStats("output", "OutputLayer", 0.3, List.of(2.0, 1.5)));
            json.set("diagnostics", Json.MAPPER.valueToTree(new InitDiagnostics(64, 2, layers)));
        }
        File dir = new File(run, String.format("members/member-%03d", id));
        Files.createDirectories(dir.toPath());
        Files.write(dir.toPath().resolve("member.json"), Json.MAPPER.writeValueAsBytes(json));
    }

    static final String RUN = """
            {"format": 1, "status": "succeeded", "job": "shapes", "started": "2026-01-01T00:00:00Z",
             "ended": "2026-01-01T00:01:00Z", "wall_seconds": 60.0, "seed": 7,
             "versions": {"chorus": "test", "spark": "3.5.9"},
             "configuration": {"members": 2, "data": {"classes": 3}, "model": {"arch": "lenet", "init": "he",
               "activation": "relu", "batchnorm": true},
               "train": {"epochs": 2, "lr": 0.05, "schedule": "cosine", "cycles": 1, "step_epochs": 1, "step_gamma": 0.5}},
             "data": {"dir": "/data/shapes", "train_files": [{"path": "file:/data/shapes/train", "sha256": "ab", "bytes": 10}],
               "test_files": []},
             "spark": {"master": "local[2]", "executors_used": ["driver@h"]},
             "members": [
               {"id": 0, "seed": 100, "status": "finished", "reason": null, "dir": "members/member-000",
                "executor": "driver", "host": "h", "pid": 1, "attempts": [], "images_seen": 1000, "train_seconds": 30.0},
               {"id": 1, "seed": 101, "status": "finished", "reason": null, "dir": "members/member-001",
                "executor": "1", "host": "h2", "pid": 2, "images_seen": 1000, "train_seconds": 30.0,
                "attempts": [{"number": 1, "executor": "1", "outcome": "crashed", "resumed_at": 0, "gpus": ["1"]},
                             {"number": 2, "executor": "3", "outcome": "finished", "resumed_at": 10, "gpus": ["1"]}]}]}
            """;

    private static String test(double acc, double nll, double brier, double ece) {
        return "{\"accuracy\": " + acc + ", \"nll\": " + nll + ", \"brier\": " + brier + ", \"ece\": " + ece
                + ", \"per_class_accuracy\": [" + acc + ", " + acc + ", " + acc + "],"
                + " \"confusion\": [[8, 1, 1], [0, 9, 1], [2, 0, 8]],"
                + " \"reliability\": {\"lower\": [0.0, 0.5], \"upper\": [0.5, 1.0], \"count\": [0, 30],"
                + " \"accuracy\": [null, " + acc + "], \"confidence\": [null, 0.8]}}";
    }

    private static String model(String id, String kind, int member, int epoch, long params, String inference,
                                double acc, double nll, double brier, double ece, String note) {
        return "{\"id\": \"" + id + "\", \"kind\": \"" + kind + "\", \"member\": " + member + ", \"epoch\": " + epoch
                + ", \"parameters\": " + params + ", \"inference_seconds\": " + inference
                + (note == null ? "" : ", \"note\": \"" + note + "\"")
                + ", \"test\": " + test(acc, nll, brier, ece)
                + ", \"validation\": {\"accuracy\": " + acc + ", \"nll\": " + (nll + 0.01) + "}}";
    }

    private static String ensemble(String name, String members, String inference, double acc, double nll,
                                   double brier, double ece, double valNll, String extra) {
        return "{\"name\": \"" + name + "\", \"method\": \"how, with a comma\", \"members\": " + members
                + ", \"inference_seconds\": " + inference + extra + ", \"test\": " + test(acc, nll, brier, ece)
                + ", \"validation\": {\"accuracy\": " + acc + ", \"nll\": " + valNll + "}}";
    }

    static final String METRICS = "{\"format\": 1, \"classes\": 3, \"test_examples\": 30, \"validation_examples\": 30,"
            + " \"excluded\": [], \"notes\": [\"a note\"], \"best_member\": \"m1\", \"models\": ["
            + model("m0", "member", 0, 2, 1000, "2.0", 0.70, 0.80, 0.40, 0.05, null) + ","
            + model("m0-s0", "snapshot", 0, 1, 1000, "2.5", 0.60, 0.90, 0.45, 0.06, null) + ","
            + model("m1", "member", 1, 2, 1000, "1.0", 0.72, 0.78, 0.39, 0.04, null) + ","
            + model("m0-swa", "swa", 0, 0, 1000, "1.5", 0.71, 0.79, 0.395, 0.045, "averaged") + ","
            + model("cross-average", "cross-average", -1, 0, 1000, "1.2", 0.30, 2.00, 0.90, 0.20, "fails") + ","
            + model("heads-h0", "head", 0, 0, 200, "null", 0.69, 0.81, 0.41, 0.05, "head 0") + ","
            + model("heads-h1", "head", 0, 0, 200, "null", 0.68, 0.82, 0.42, 0.05, "head 1")
            + "], \"ensembles\": ["
            + ensemble("average", "[\"m0\", \"m1\"]", "3.0", 0.76, 0.70, 0.35, 0.03, 0.69, "") + ","
            + ensemble("vote", "[\"m0\", \"m1\"]", "3.0", 0.75, 5.00, 0.50, 0.10, 4.00, "") + ","
            + ensemble("heads", "[\"heads-h0\", \"heads-h1\"]", "1.1", 0.74, 0.75, 0.37, 0.01, 0.74, "") + ","
            + ensemble("selection", "[\"m0-s0\", \"m1\"]", "3.5", 0.76, 0.71, 0.34, 0.03, 0.68,
                    ", \"rounds\": [{\"round\": 1, \"picked\": \"m1\", \"accuracy\": 0.72, \"nll\": 0.78},"
                            + " {\"round\": 2, \"picked\": \"m0-s0\", \"accuracy\": 0.76, \"nll\": 0.71}]")
            + "], \"diversity\": {\"members\": [\"m0\", \"m1\"], \"disagreement\": [[0.0, 0.2], [0.2, 0.0]],"
            + " \"q_statistic\": [[1.0, 0.5], [0.5, 1.0]], \"double_fault\": [[0.3, 0.1], [0.1, 0.28]],"
            + " \"mean_disagreement\": 0.2, \"mean_q_statistic\": 0.5, \"mean_double_fault\": 0.1},"
            + " \"size_curves\": {\"average\": {\"member_order\": [{\"size\": 1, \"accuracy\": 0.70, \"nll\": 0.80},"
            + " {\"size\": 2, \"accuracy\": 0.76, \"nll\": 0.70}], \"greedy_order\": [{\"size\": 1, \"accuracy\": 0.72,"
            + " \"nll\": 0.78}, {\"size\": 2, \"accuracy\": 0.76, \"nll\": 0.70}]}, \"vote\": {\"member_order\":"
            + " [{\"size\": 1, \"accuracy\": 0.70, \"nll\": 9.0}, {\"size\": 2, \"accuracy\": 0.75, \"nll\": 5.0}],"
            + " \"greedy_order\": [{\"size\": 1, \"accuracy\": 0.72, \"nll\": 8.0}, {\"size\": 2, \"accuracy\": 0.75,"
            + " \"nll\": 5.0}]}},"
            + " \"gain_over_best_member\": [{\"ensemble\": \"average\", \"accuracy\": 0.04, \"nll\": -0.08,"
            + " \"nll_relative\": -0.1025, \"ece\": -0.01}, {\"ensemble\": \"vote\", \"accuracy\": 0.03, \"nll\": 4.22,"
            + " \"nll_relative\": 5.41, \"ece\": 0.06}, {\"ensemble\": \"heads\", \"accuracy\": 0.02, \"nll\": -0.03,"
            + " \"nll_relative\": -0.0385, \"ece\": -0.03}, {\"ensemble\": \"selection\", \"accuracy\": 0.04,"
            + " \"nll\": -0.07, \"nll_relative\": -0.0897, \"ece\": -0.01}]}";

    static final String MODELS = """
            {"format": 1, "models": [
              {"id": "m0-swa", "kind": "swa", "build_seconds": 4.0},
              {"id": "cross-average", "kind": "cross-average", "build_seconds": 5.0},
              {"id": "heads-h0", "kind": "head", "build_seconds": 2.0},
              {"id": "heads-h1", "kind": "head", "build_seconds": 3.0}]}
            """;
}
