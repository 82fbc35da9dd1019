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
 * @param engine    how layers computed: {@code onednn} (DL4J's oneDNN helpers) or {@code java} (DL4J's
 *                  reference path)
 * @param outcome   {@code running}, then the member status it ended with, or {@code crashed} if it never
 *                  reported (written by the next attempt)
 * @param gpus      addresses of the GPUs Spark assigned to the task (empty without GPU scheduling)
 */
public record Attempt(int number, String executor, String host, long pid, String started, long resumedAt,
                      String engine, String outcome, java.util.List<String> gpus) {

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
        return new Attempt(number, executor, host, pid, started, resumedAt, engine, outcome, gpus);
    }
}
