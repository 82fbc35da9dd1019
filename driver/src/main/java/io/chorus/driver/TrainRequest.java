package io.chorus.driver;

import java.util.List;
import java.util.Map;

/**
 * What {@link TrainJob} is asked to do, whoever asks (the command line, the Spark ML estimator): where the run
 * goes, what may happen to what is there, where the members run, and optionally the data itself.
 *
 * @param job        the job's name (the job file's name without extension), for run.json and the Spark UI
 * @param runDir     the run directory, any Hadoop URI
 * @param policy     what to do with a run already there
 * @param master     the Spark master, {@link TrainJob#IN_PROCESS}, or null for spark.master / {@code local[*]}
 * @param sparkConf  extra Spark settings
 * @param inputs     paths the job reads besides its data (the job file): never deleted by {@code OVERWRITE}
 * @param data       IDX files (by their DataFiles names) that become the run's own {@code data/}, written only
 *                   once every check has passed; the configuration's data.dir must name that folder. Null: the
 *                   job reads data.dir.
 */
public record TrainRequest(String job, String runDir, Policy policy, String master, Map<String, String> sparkConf,
                           List<String> inputs, Map<String, byte[]> data) {

    /** What happens to a run already in the run directory. */
    public enum Policy {
        /** a new run: the directory must be absent or empty */
        NEW,
        /** continue the run there (or start one if there is none) with the same configuration */
        RESUME,
        /** delete the Chorus run there, once the new job has passed every check */
        OVERWRITE
    }

    public TrainRequest {
        sparkConf = Map.copyOf(sparkConf);
        inputs = List.copyOf(inputs);
        data = data == null ? null : Map.copyOf(data);
    }
}
