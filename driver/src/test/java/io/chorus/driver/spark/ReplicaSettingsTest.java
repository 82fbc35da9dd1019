package io.chorus.driver.spark;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.chorus.driver.BadInputException;

/** train.replicas against what the master can run at once, refused before Spark starts when the settings tell. */
class ReplicaSettingsTest {

    private static String refused(String master, Map<String, String> conf, int threads, int replicas) {
        return assertThrows(BadInputException.class, () -> SparkSettings.checkReplicas(master, conf, threads, replicas))
                .getMessage();
    }

    @Test
    void localModeMustRunEveryReplicaAtOnce() {
        String m = refused("local", Map.of(), 1, 2);
        assertTrue(m.startsWith("train.replicas: 2 replicas"), m);
        assertTrue(m.contains("local runs 1 task(s)"), m);
        assertTrue(refused("local[3]", Map.of(), 2, 2).contains("at most 1"));
        assertTrue(refused("local-cluster[2,1,1024]", Map.of(), 1, 3).contains("runs 2 task(s)"));
        assertDoesNotThrow(() -> SparkSettings.checkReplicas("local[2]", Map.of(), 1, 2));
        assertDoesNotThrow(() -> SparkSettings.checkReplicas("local-cluster[2,1,1024]", Map.of(), 1, 2));
        assertDoesNotThrow(() -> SparkSettings.checkReplicas("local", Map.of(), 1, 1), "one replica is today's member");
    }

    @Test
    void inProcessHasNoTasksToReplicateOver() {
        assertTrue(refused("in-process", Map.of(), 1, 2).contains("--master in-process"));
    }

    @Test
    void aClusterIsCheckedWhereItsSettingsSayHowManyCoresItGets() {
        assertTrue(refused("spark://h:7077", Map.of("spark.cores.max", "2"), 1, 3).contains("spark.cores.max 2"));
        assertTrue(refused("yarn", Map.of("spark.executor.instances", "2", "spark.executor.cores", "2"), 2, 3)
                .contains("2 executor(s) of 2 core(s) give 2 task(s)"));
        assertTrue(refused("yarn", Map.of("spark.dynamicAllocation.enabled", "true",
                "spark.dynamicAllocation.maxExecutors", "1", "spark.executor.cores", "4", "spark.executor.instances", "9"),
                1, 5).contains("1 executor(s)"));
        assertTrue(refused("yarn", Map.of("spark.cores.max", "two"), 1, 2).startsWith("spark.cores.max two"));
        assertDoesNotThrow(() -> SparkSettings.checkReplicas("spark://h:7077", Map.of(), 1, 64),
                "a cluster that says nothing is checked once its executors register");
        assertDoesNotThrow(() -> SparkSettings.checkReplicas("spark://h:7077", Map.of("spark.cores.max", "4"), 2, 2));
    }
}
