package io.chorus.worker.train;

/**
 * One attempt at training a member: where it ran and how it ended. A member retried by Spark after an
 * executor loss, or resumed by the user, has several.
 *
 * @param number    1-based, across all runs of the member
 * @param executor  Spark executor id ({@code driver} in local mode; {@code in-process} without Spark)
 * @param host      host name of the JVM that ran it
 * @param pid       process id of that JVM
 * @param started   ISO-8601 instant
 * @param resumedAt updates already done when it started (0 for a fresh start)
 * @param engine    what ran the updates: {@code onednn} (Chorus's oneDNN engine), {@code dl4j-onednn}
 *                  (DL4J with its oneDNN helpers) or {@code dl4j-java} (DL4J's reference path); attempts
 *                  recorded before the engine existed say {@code onednn} or {@code java} for DL4J's two paths
 * @param outcome   {@code running}, then the member status it ended with, or {@code crashed} if it never
 *                  reported (written by the next attempt)
 * @param gpus      addresses of the GPUs Spark assigned to the task (empty without GPU scheduling)
 * @param threads   native (OpenMP) threads it computed with; null in attempts recorded before
 * @param isa       instruction set of oneDNN's kernels ({@code dnnl_get_effective_cpu_isa}, e.g.
 *                  {@code avx512_core_bf16}); null when the engine did not train it
 */
public record Attempt(int number, String executor, String host, long pid, String started, long resumedAt,
                      String engine, String outcome, java.util.List<String> gpus, Integer threads, String isa) {

    /** Where this JVM is, for attempts started outside Spark. */
    public static Placement here(String executor) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "unknown";
        }
        return new Placement(executor, host, ProcessHandle.current().pid());
    }

    /** The executor, host, process and GPUs a member is about to train in. */
    public record Placement(String executor, String host, long pid, java.util.List<String> gpus)
            implements java.io.Serializable {
        public Placement(String executor, String host, long pid) {
            this(executor, host, pid, java.util.List.of());
        }

        public Placement {
            gpus = java.util.List.copyOf(gpus);
        }

        /** This placement on the given GPU addresses. */
        public Placement withGpus(java.util.List<String> addresses) {
            return new Placement(executor, host, pid, addresses);
        }
    }

    Attempt withOutcome(String outcome) {
        return new Attempt(number, executor, host, pid, started, resumedAt, engine, outcome, gpus, threads, isa);
    }
}
