package io.chorus.driver;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.config.ConfigException;
import io.chorus.driver.config.JobConfig;
import io.chorus.worker.fs.HadoopFiles;

/**
 * The {@code chorus} command line. Subcommands: {@code train} (a job), {@code evaluate} (a trained run's
 * models and ensembles), {@code report} (its offline HTML report) and {@code snapshots} (every committed snapshot of a run, scored on the test split). Exit codes follow {@link ExitCode}.
 */
public final class Chorus {
    private Chorus() {
    }

    /** System property naming the log file that gets every stack trace. */
    public static final String LOG_FILE = "chorus.log.file";

    public static void main(String[] args) {
        // Before any logger exists: this process's own log file, named in failure messages.
        if (System.getProperty(LOG_FILE) == null) {
            System.setProperty(LOG_FILE, new java.io.File(System.getProperty("java.io.tmpdir"),
                    "chorus-" + ProcessHandle.current().pid() + ".log").getAbsolutePath());
        }
        // Before Spark creates any ObjectInputStream, so the model-restore filter goes in as a filter factory.
        io.chorus.worker.train.SafeModels.installFilter();
        System.exit(run(Arrays.asList(args), System.out, System.err).code());
    }

    /** Runs a command; never calls System.exit, so tests can drive it. */
    public static ExitCode run(List<String> arguments, PrintStream out, PrintStream err) {
        boolean verbose = arguments.contains(VERBOSE);
        List<String> args = arguments.stream().filter(a -> !a.equals(VERBOSE)).toList();
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("help")) {
            out.println("chorus: train ensembles of convolutional networks; chorus <command> --help for one command");
            COMMANDS.values().forEach(o -> out.println(o.usage()));
            return args.isEmpty() ? ExitCode.BAD_INPUT : ExitCode.SUCCESS;
        }
        Options options = COMMANDS.get(args.get(0));
        List<String> rest = args.subList(1, args.size());
        if (options != null && (rest.contains("--help") || rest.contains("-h"))) {
            out.print(options.help());
            return ExitCode.SUCCESS;
        }
        try {
            switch (args.get(0)) {
                case "train" -> {
                    TrainCommand cmd = TrainCommand.parse(rest);
                    Configuration hadoop = CliArgs.hadoopConf(cmd.sparkConf());
                    JobConfig config = loadConfig(cmd, hadoop);
                    return new TrainJob(hadoop, out).run(config, cmd.request());
                }
                case "evaluate" -> {
                    return new EvaluateCommand(CliArgs.hadoopConf(Map.of()), out).run(rest);
                }
                case "predict" -> {
                    return new PredictCommand(CliArgs.hadoopConf(Map.of()), out).run(rest);
                }
                case "report" -> {
                    return new ReportCommand(CliArgs.hadoopConf(Map.of()), out).run(rest);
                }
                case "snapshots" -> {
                    return new SnapshotsCommand(CliArgs.hadoopConf(Map.of()), out).run(rest);
                }
                default -> throw new BadInputException("unknown command " + args.get(0) + "; the commands are "
                        + String.join(", ", COMMANDS.keySet()) + " (chorus --help)");
            }
        } catch (BadInputException | io.chorus.worker.fs.MalformedFileException e) {
            Log.LOG.debug("bad input", e);
            err.println("chorus: " + e.getMessage());
            if (verbose) {
                e.printStackTrace(err);
            }
            return ExitCode.BAD_INPUT;
        } catch (Exception | LinkageError e) {
            Log.LOG.error("failed", e);
            String log = logFile();
            err.println("chorus: failed: " + e + (verbose ? "" : log != null ? " (the stack trace is in " + log
                    + "; --verbose prints it)" : " (--verbose prints the stack trace)"));
            if (verbose) {
                e.printStackTrace(err);
            }
            return ExitCode.FAILURE;
        }
    }

    /** Every subcommand's options, in the order --help lists them. */
    static final Map<String, Options> COMMANDS = commands();

    private static Map<String, Options> commands() {
        Map<String, Options> m = new java.util.LinkedHashMap<>();
        for (Options o : List.of(TrainCommand.OPTIONS, EvaluateCommand.OPTIONS, ReportCommand.OPTIONS,
                PredictCommand.OPTIONS, SnapshotsCommand.OPTIONS)) {
            m.put(o.command(), o);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Prints stack traces on the console too; accepted anywhere on the command line. */
    public static final String VERBOSE = "--verbose";

    /** The logger, created on first use: main names the log file before logging starts. */
    private static final class Log {
        static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Chorus.class);
    }

    /** The log file that got the stack trace, or null when the logging configuration in force wrote none. */
    private static String logFile() {
        String f = System.getProperty(LOG_FILE, new java.io.File(System.getProperty("java.io.tmpdir"), "chorus.log").getPath());
        return new java.io.File(f).isFile() ? f : null;
    }

    /** Reads and validates the job file; every problem is a {@link BadInputException} naming the key. */
    static JobConfig loadConfig(TrainCommand cmd, Configuration hadoop) throws BadInputException {
        Path p = HadoopFiles.path(cmd.jobFile());
        try {
            FileSystem fs = HadoopFiles.fileSystem(p, hadoop);
            if (!fs.exists(p)) {
                throw new BadInputException("job configuration " + cmd.jobFile() + " does not exist");
            }
            try (InputStream in = fs.open(p)) {
                return JobConfig.parse(in, cmd.jobFile(), cmd.overrides());
            }
        } catch (ConfigException e) {
            throw new BadInputException("invalid job configuration " + cmd.jobFile() + ":\n  "
                    + String.join("\n  ", e.problems()));
        } catch (IOException e) {
            throw new BadInputException("cannot read job configuration " + cmd.jobFile() + ": " + e.getMessage(), e);
        }
    }
}
