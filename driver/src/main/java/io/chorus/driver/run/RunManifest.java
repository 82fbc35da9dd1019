package io.chorus.driver.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;


/**
 * {@code run.json} at the root of a run directory: what was run, with what, where, and how it ended.
 * Written atomically when the run starts and again as each member finishes; its {@code status} always
 * agrees with the exit code. Member manifests remain the authority on snapshots; run.json is the summary
 * a person or a scheduler reads.
 */
public final class RunManifest {
    public static final String NAME = "run.json";

    public int format = 1;
    public RunStatus status = RunStatus.RUNNING;
    public String job;
    public String started;
    public String ended;
    public double wallSeconds;
    public long seed;
    public Map<String, String> versions;
    public Map<String, Object> configuration;
    public Map<String, Object> data;
    public Map<String, Object> spark;
    public List<RunMember> members = new ArrayList<>();
    /** How the evaluation at the end of the run went: {@code status} (succeeded, failed, skipped), {@code reason}. */
    public Map<String, Object> evaluation;
    /** How the report at the end of the run went: {@code status} (succeeded, failed), {@code page} or {@code reason}. */
    public Map<String, Object> report;

    public static Map<String, Object> dataSection(String dir, List<TrainingData.DataFile> train,
                                                  List<TrainingData.DataFile> test) {
        return Map.of("dir", dir, "train_files", train, "test_files", test);
    }
}
