package io.chorus.driver;

import java.util.Map;

/** The Hadoop configuration of the subcommands (their options: {@link Options}). */
final class CliArgs {
    private CliArgs() {
    }

    private static final String SPARK_HADOOP = "spark.hadoop.";

    /**
     * The Hadoop configuration the driver reads and writes the run directory with: Hadoop's defaults and
     * site files, then every {@code spark.hadoop.*} setting as Spark itself would apply it to its own
     * Hadoop configuration: from JVM system properties (spark-submit passes --conf and the properties file
     * that way), then from {@code conf} (Chorus's own --conf). So s3a credentials and file-system
     * implementations given the Spark way reach the run directory too; executors receive this configuration
     * with the task.
     */
    static org.apache.hadoop.conf.Configuration hadoopConf(Map<String, String> conf) {
        org.apache.hadoop.conf.Configuration c = new org.apache.hadoop.conf.Configuration();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(SPARK_HADOOP)).sorted()
                .forEach(k -> c.set(k.substring(SPARK_HADOOP.length()), System.getProperty(k)));
        applySparkHadoop(c, conf);
        return c;
    }

    /** Sets each {@code spark.hadoop.X=v} of {@code conf} as {@code X=v} in {@code c}. */
    static void applySparkHadoop(org.apache.hadoop.conf.Configuration c, Map<String, String> conf) {
        conf.forEach((k, v) -> {
            if (k.startsWith(SPARK_HADOOP)) {
                c.set(k.substring(SPARK_HADOOP.length()), v);
            }
        });
    }
}
