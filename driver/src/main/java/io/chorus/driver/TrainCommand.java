package io.chorus.driver;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parsed arguments of {@code chorus train}. {@code --master} defaults to spark.master when run by
 * spark-submit, else {@code local[*]}; {@code --master in-process} trains without Spark, one member after
 * another. {@code --conf} passes Spark settings, as spark-submit does.
 */
public record TrainCommand(String jobFile, String runDir, List<String> overrides, boolean resume, boolean overwrite,
                           String master, Map<String, String> sparkConf) {

    public static final String USAGE = "usage: chorus train <job.yaml> [--run-dir DIR] [--set key=value ...] "
            + "[--resume | --overwrite] [--master URL | --master in-process] [--conf spark.key=value ...]";

    public static TrainCommand parse(List<String> args) throws BadInputException {
        String job = null;
        String runDir = null;
        List<String> sets = new ArrayList<>();
        boolean resume = false;
        boolean overwrite = false;
        String master = null;
        Map<String, String> conf = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--run-dir" -> runDir = value(args, ++i, a);
                case "--set" -> sets.add(value(args, ++i, a));
                case "--resume" -> resume = true;
                case "--overwrite" -> overwrite = true;
                case "--master" -> master = value(args, ++i, a);
                case "--conf" -> CliArgs.sparkConf(value(args, ++i, a), conf, USAGE);
                default -> {
                    if (a.startsWith("--run-dir=")) {
                        runDir = a.substring("--run-dir=".length());
                    } else if (a.startsWith("--set=")) {
                        sets.add(a.substring("--set=".length()));
                    } else if (a.startsWith("-")) {
                        throw new BadInputException("unknown option " + a + "\n" + USAGE);
                    } else if (job == null) {
                        job = a;
                    } else {
                        throw new BadInputException("unexpected argument " + a + " (the job file is " + job + ")\n" + USAGE);
                    }
                }
            }
        }
        if (job == null) {
            throw new BadInputException("missing the job configuration file\n" + USAGE);
        }
        if (resume && overwrite) {
            throw new BadInputException("--resume and --overwrite exclude each other\n" + USAGE);
        }
        return new TrainCommand(job, runDir, List.copyOf(sets), resume, overwrite, master, Map.copyOf(conf));
    }

    private static String value(List<String> args, int i, String option) throws BadInputException {
        return CliArgs.value(args, i, option, USAGE);
    }

    /** Default run directory: runs/&lt;job file name without extension&gt;, stable so --resume finds it. */
    public String runDirOrDefault() {
        if (runDir != null) {
            return runDir;
        }
        String name = new java.io.File(jobFile).getName().replaceFirst("\\.ya?ml$", "");
        return "runs/" + name;
    }
}
