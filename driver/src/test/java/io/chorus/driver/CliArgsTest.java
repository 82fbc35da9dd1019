package io.chorus.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** spark.hadoop.* settings reach the Hadoop configuration the run directory is written with. */
class CliArgsTest {
    @Test
    void sparkHadoopSettingsFromSystemPropertiesAndConfReachTheRunDirectorysConfiguration() {
        System.setProperty("spark.hadoop.chorus.test.from.submit", "submit");
        System.setProperty("spark.hadoop.chorus.test.both", "submit");
        try {
            Configuration c = CliArgs.hadoopConf(Map.of("spark.hadoop.chorus.test.both", "conf",
                    "spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9000", "spark.ui.enabled", "false"));
            assertEquals("submit", c.get("chorus.test.from.submit"), "spark-submit passes settings as properties");
            assertEquals("conf", c.get("chorus.test.both"), "--conf wins, as on the command line");
            assertEquals("http://127.0.0.1:9000", c.get("fs.s3a.endpoint"));
            assertNull(c.get("ui.enabled"), "only spark.hadoop.* settings are Hadoop's");
        } finally {
            System.clearProperty("spark.hadoop.chorus.test.from.submit");
            System.clearProperty("spark.hadoop.chorus.test.both");
        }
    }

    @Test
    void aRunDirectoryOnAnUnknownFileSystemIsBadInput() {
        CliRun r = CliRun.of("train", "../conf/fashion-mnist-quick.yaml", "--run-dir", "nosuchscheme:///tmp/x");
        assertEquals(ExitCode.BAD_INPUT, r.code(), r.err());
        assertEquals(true, r.err().contains("--run-dir nosuchscheme:///tmp/x"), r.err());
    }
}
