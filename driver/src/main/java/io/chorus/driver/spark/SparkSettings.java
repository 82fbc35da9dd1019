package io.chorus.driver.spark;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.chorus.driver.BadInputException;

/**
 * Spark settings that cannot work, refused as bad input before anything is written: a master URL Spark does
 * not know, and members asking for more cores ({@code train.threads}, which becomes spark.task.cpus) than a
 * task can get.
 */
public final class SparkSettings {
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,(\\d+))?])?");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[(\\d+),\\s*(\\d+),\\s*(\\d+)]");
    private static final Pattern CLUSTER = Pattern.compile("yarn|spark://[^\\s/:]+:\\d+(,[^\\s/:]+:\\d+)*|k8s://\\S+|mesos://\\S+");
    public static final String IN_PROCESS = "in-process";

    private SparkSettings() {
    }

    /** The master a job runs on: {@code master} if given, else spark.master (spark-submit), else local[*]. */
    public static String effectiveMaster(String master) {
        return master != null ? master : System.getProperty("spark.master", "local[*]");
    }

    /**
     * Checks {@code master} (null: the effective default) and that a member of {@code threads} threads fits a
     * task: in local mode the local cores, on a cluster spark.executor.cores when it is set.
     *
     * @param option how the user gave the master, for the message (e.g. "--master")
     */
    public static void check(String master, Map<String, String> conf, int threads, String option) throws BadInputException {
        String m = effectiveMaster(master).trim();
        int cores = Runtime.getRuntime().availableProcessors();
        if (m.equals(IN_PROCESS)) {
            fits(threads, cores, "this machine has " + cores + " cores");
            return;
        }
        Matcher local = LOCAL.matcher(m);
        if (local.matches()) {
            int slots = local.group(1) == null ? 1 : local.group(1).equals("*") ? cores : Integer.parseInt(local.group(1));
            if (slots < 1) {
                throw new BadInputException(option + " " + m + ": local mode needs at least one core");
            }
            fits(threads, slots, m + " gives each executor " + slots + " core(s)");
            return;
        }
        Matcher cluster = LOCAL_CLUSTER.matcher(m);
        if (cluster.matches()) {
            fits(threads, Integer.parseInt(cluster.group(2)), m + " gives each executor " + cluster.group(2) + " core(s)");
            return;
        }
        if (!CLUSTER.matcher(m).matches()) {
            throw new BadInputException(option + " " + m + ": not a Spark master URL; expected local, local[N], local[*], "
                    + "local[N,F], spark://host:port, yarn, k8s://https://host:port or " + IN_PROCESS);
        }
        String executorCores = conf.getOrDefault("spark.executor.cores", System.getProperty("spark.executor.cores"));
        if (executorCores != null) {
            int n;
            try {
                n = Integer.parseInt(executorCores.trim());
            } catch (NumberFormatException e) {
                throw new BadInputException("spark.executor.cores " + executorCores + ": expected a whole number");
            }
            fits(threads, n, "spark.executor.cores is " + n);
        }
    }

    private static void fits(int threads, int cores, String why) throws BadInputException {
        if (threads > cores) {
            throw new BadInputException("train.threads: " + threads + " threads per member cannot run: " + why
                    + "; set train.threads to at most " + cores);
        }
    }
}
