package io.chorus.driver;

import java.util.List;
import java.util.Map;

/**
 * Parsed arguments of {@code chorus train}. {@code --master} defaults to spark.master when run by
 * spark-submit, else {@code local[*]}; {@code --master in-process} trains without Spark, one member after
 * another. {@code --conf} passes Spark settings, as spark-submit does.
 */
public record TrainCommand(String jobFile, String runDir, List<String> overrides, boolean resume, boolean overwrite,
                           String master, Map<String, String> sparkConf) {

    static final Options OPTIONS = new Options("train", "Trains the ensemble a job file describes into a run directory, "
            + "then evaluates it and writes its report.", 1, "job.yaml")
            .value("--run-dir", "DIR", "the run directory, any Hadoop URI (default runs/<job file name>)")
            .repeated("--set", "key=value", "overrides a key of the job file")
            .flag("--resume", "continues the run in the run directory, with the same configuration")
            .flag("--overwrite", "replaces the Chorus run in the run directory, once the new job passed every check")
            .value("--master", "URL", "the Spark master (default spark.master, else local[*]), or in-process for no Spark")
            .repeated("--conf", "spark.key=value", "a Spark setting, as spark-submit takes it")
            .exclusive("--resume", "--overwrite");

    public static TrainCommand parse(List<String> args) throws BadInputException {
        Options.Parsed p = OPTIONS.parse(args);
        return new TrainCommand(p.positional(0), p.get("--run-dir"), p.all("--set"), p.has("--resume"), p.has("--overwrite"),
                p.get("--master"), p.sparkConf());
    }

    /** Default run directory: runs/&lt;job file name without extension&gt;, stable so --resume finds it. */
    public String runDirOrDefault() {
        return runDir != null ? runDir : "runs/" + jobName();
    }

    /** The job file's name without extension. */
    public String jobName() {
        return new java.io.File(jobFile).getName().replaceFirst("\\.ya?ml$", "");
    }

    /** What TrainJob is asked to do. */
    public TrainRequest request() {
        TrainRequest.Policy policy = resume ? TrainRequest.Policy.RESUME
                : overwrite ? TrainRequest.Policy.OVERWRITE : TrainRequest.Policy.NEW;
        return new TrainRequest(jobName(), runDirOrDefault(), policy, master, sparkConf, List.of(jobFile), null);
    }
}
