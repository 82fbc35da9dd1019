package io.chorus.driver.spark;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.chorus.driver.BadInputException;

/**
 * Spark settings that cannot work, refused as bad input before anything is written: a master URL Spark does
 * not know, and members asking for more cores ({@code train.threads}, which becomes spark.task.cpus) than a
 * task can get, or data-parallel members ({@code train.replicas}) asking for more tasks at once than the
 * master can run.
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

    /**
     * Checks that a member of {@code replicas} replicas of {@code threads} threads each can have all its replicas
     * running at once where the master says how many task slots there are: local mode (its cores), local-cluster
     * (workers x cores), or a cluster with spark.cores.max or spark.executor.instances x spark.executor.cores
     * set (spark.dynamicAllocation.maxExecutors in place of the instances when dynamic allocation is on). On a
     * cluster that says nothing, the running application is checked once its executors register
     * ({@link SparkRunner#checkReplicas}).
     */
    public static void checkReplicas(String master, Map<String, String> conf, int threads, int replicas)
            throws BadInputException {
        if (replicas <= 1) {
            return;
        }
        String m = effectiveMaster(master).trim();
        if (m.equals(IN_PROCESS)) {
            throw new BadInputException("train.replicas: " + replicas + " replicas need Spark tasks; --master "
                    + IN_PROCESS + " trains members one after another in this JVM; use local[N] or a cluster master");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        Matcher local = LOCAL.matcher(m);
        Integer slots = null;
        String where = null;
        if (local.matches()) {
            int c = local.group(1) == null ? 1 : local.group(1).equals("*") ? cores : Integer.parseInt(local.group(1));
            slots = c / threads;
            where = m + " runs " + slots + " task(s) of " + threads + " thread(s) at once";
        }
        Matcher cluster = LOCAL_CLUSTER.matcher(m);
        if (cluster.matches()) {
            slots = Integer.parseInt(cluster.group(1)) * (Integer.parseInt(cluster.group(2)) / threads);
            where = m + " runs " + slots + " task(s) of " + threads + " thread(s) at once";
        }
        if (slots == null) {
            String max = setting(conf, "spark.cores.max");
            String executorCores = setting(conf, "spark.executor.cores");
            boolean dynamic = Boolean.parseBoolean(setting(conf, "spark.dynamicAllocation.enabled"));
            String instances = setting(conf, dynamic ? "spark.dynamicAllocation.maxExecutors" : "spark.executor.instances");
            if (max != null) {
                slots = wholeNumber("spark.cores.max", max) / threads;
                where = "spark.cores.max " + max.trim() + " gives " + slots + " task(s) of " + threads + " thread(s)";
            } else if (instances != null && executorCores != null) {
                int n = wholeNumber(dynamic ? "spark.dynamicAllocation.maxExecutors" : "spark.executor.instances", instances);
                int c = wholeNumber("spark.executor.cores", executorCores);
                slots = n * (c / threads);
                where = n + " executor(s) of " + c + " core(s) give " + slots + " task(s) of " + threads + " thread(s)";
            }
        }
        if (slots != null && slots < replicas) {
            throw new BadInputException("train.replicas: " + replicas + " replicas of a member train at once, but " + where
                    + "; lower train.replicas to at most " + Math.max(1, slots) + " or give the application more cores");
        }
    }

    private static String setting(Map<String, String> conf, String key) {
        return conf.getOrDefault(key, System.getProperty(key));
    }

    private static int wholeNumber(String key, String value) throws BadInputException {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new BadInputException(key + " " + value + ": expected a whole number");
        }
    }

    private static void fits(int threads, int cores, String why) throws BadInputException {
        if (threads > cores) {
            throw new BadInputException("train.threads: " + threads + " threads per member cannot run: " + why
                    + "; set train.threads to at most " + cores);
        }
    }
}
