package io.chorus.driver;

import java.util.ArrayList;
import java.util.List;

/**
 * Parsed arguments of {@code chorus train <job.yaml> [--run-dir DIR] [--set key=value ...]
 * [--resume | --overwrite]}.
 */
public record TrainCommand(String jobFile, String runDir, List<String> overrides, boolean resume, boolean overwrite) {

    public static final String USAGE = "usage: chorus train <job.yaml> [--run-dir DIR] [--set key=value ...] [--resume | --overwrite]";

    public static TrainCommand parse(List<String> args) throws BadInputException {
        String job = null;
        String runDir = null;
        List<String> sets = new ArrayList<>();
        boolean resume = false;
        boolean overwrite = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--run-dir" -> runDir = value(args, ++i, a);
                case "--set" -> sets.add(value(args, ++i, a));
                case "--resume" -> resume = true;
                case "--overwrite" -> overwrite = true;
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
        return new TrainCommand(job, runDir, List.copyOf(sets), resume, overwrite);
    }

    private static String value(List<String> args, int i, String option) throws BadInputException {
        if (i >= args.size()) {
            throw new BadInputException(option + " needs a value\n" + USAGE);
        }
        return args.get(i);
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
