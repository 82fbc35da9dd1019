package io.chorus.driver.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.chorus.worker.fs.Json;

/**
 * The benchmark of bench/replicas (not part of the test run: its name matches neither surefire's nor
 * failsafe's patterns). One member on the 2-core standalone cluster (two one-core Workers), trained with one
 * replica (on the engine, and on DL4J's path, which the replicas use) and with two replicas at averaging
 * frequencies 1, 5 and 20, each a separate application submitted in turn; prints one line per setting: the
 * job's wall time (application start to end), the member's training time and images per second, and its
 * final validation accuracy and loss. The job: {@code chorus.bench.job} (a file), else bench/replicas.yaml.
 */
class ReplicasBenchmark {
    @Test
    void oneMemberWithOneAndTwoReplicas() throws Exception {
        Path root = Path.of(System.getProperty("chorus.root", "..")).toAbsolutePath().normalize();
        Path jar = Path.of(System.getProperty("chorus.jar", "target/chorus.jar")).toAbsolutePath();
        Path work = Files.createDirectories(Path.of("target", "replicas-bench").toAbsolutePath());
        Path home = SparkDistribution.create(root, Path.of("target", "spark-home").toAbsolutePath());
        String given = System.getProperty("chorus.bench.job", "");
        Path job = work.resolve("job.yaml");
        Files.writeString(job, Files.readString(given.isEmpty() ? root.resolve("bench/replicas.yaml") : Path.of(given)));
        String[][] settings = {
                {"1 replica, engine", "train.replicas=1"},
                {"1 replica, dl4j path", "train.replicas=1", "train.engine=dl4j"},
                {"2 replicas, averaging every 1", "train.replicas=2", "train.averaging_every=1"},
                {"2 replicas, averaging every 5", "train.replicas=2", "train.averaging_every=5"},
                {"2 replicas, averaging every 20", "train.replicas=2", "train.averaging_every=20"},
        };
        List<String> lines = new ArrayList<>();
        try (StandaloneCluster cluster = StandaloneCluster.start(home, work.resolve("logs"), 2, 1, "3g")) {
            for (int i = 0; i < settings.length; i++) {
                File run = work.resolve("run-" + i).toFile();
                List<String> args = new ArrayList<>(List.of("train", job.toString(), "--run-dir", run.getAbsolutePath(),
                        "--overwrite"));
                for (int k = 1; k < settings[i].length; k++) {
                    args.add("--set");
                    args.add(settings[i][k]);
                }
                long start = System.nanoTime();
                Process p = cluster.submit("bench-" + i, jar, StandaloneCluster.executorConf(), args);
                assertTrue(p.waitFor(60, TimeUnit.MINUTES), settings[i][0] + " did not end");
                double wall = (System.nanoTime() - start) / 1e9;
                assertEquals(0, p.exitValue(), Files.readString(cluster.log("bench-" + i)));
                JsonNode m = Json.MAPPER.readTree(new File(run, "members/member-000/member.json"));
                JsonNode last = m.path("epochs").get(m.path("epochs").size() - 1);
                double train = m.path("train_seconds").asDouble();
                String line = String.format(Locale.ROOT, "%-32s wall %7.1f s  training %7.1f s  %6.0f img/s  "
                                + "val acc %.4f  val nll %.4f  rounds/epoch %s", settings[i][0], wall, train,
                        m.path("images_seen").asDouble() / train, last.path("val_accuracy").asDouble(),
                        last.path("val_loss").asDouble(), m.path("replication").path("rounds_per_epoch").asText("-"));
                System.out.println("chorus-bench: " + line);
                lines.add(line);
            }
        }
        Files.write(work.resolve("replicas.txt"), lines);
    }
}
