package io.chorus.driver.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a Spark 3.5 distribution puts on every classpath, resolved by Maven instead of downloaded: a small
 * POM inheriting Chorus's parent (so Spark's own library versions win, as in the distribution) that
 * depends on spark-core, spark-mllib and Hadoop's shaded client. The parent is found by a relative path (Maven
 * resolves relativePath against the POM's folder, an absolute one included), so nothing has to be installed. Its jars are linked into
 * {@code <home>/jars}, which then serves as SPARK_HOME.
 */
final class SparkDistribution {
    private SparkDistribution() {
    }

    /** Builds {@code home/jars} (once; reused when it exists) and returns {@code home}. */
    static Path create(Path projectRoot, Path home) throws IOException, InterruptedException {
        Path jars = home.resolve("jars");
        if (Files.isDirectory(jars) && Files.list(jars).findAny().isPresent()) {
            return home;
        }
        Files.createDirectories(home);
        Path pom = home.resolve("pom.xml");
        Files.writeString(pom, """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <parent>
                    <groupId>io.chorus</groupId>
                    <artifactId>chorus-parent</artifactId>
                    <version>0.1.0-SNAPSHOT</version>
                    <relativePath>%s</relativePath>
                  </parent>
                  <artifactId>spark-distribution</artifactId>
                  <packaging>pom</packaging>
                  <dependencies>
                    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-core_${scala.binary.version}</artifactId><version>${spark.version}</version></dependency>
                    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-mllib_${scala.binary.version}</artifactId><version>${spark.version}</version></dependency>
                    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-client-api</artifactId></dependency>
                    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-client-runtime</artifactId></dependency>
                  </dependencies>
                </project>
                """.formatted(home.toAbsolutePath().relativize(projectRoot.resolve("pom.xml").toAbsolutePath())));
        Path classpath = home.resolve("classpath.txt");
        List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q", "-f", pom.toString()));
        if (Boolean.getBoolean("chorus.maven.offline")) {
            cmd.add("-o");
        }
        cmd.addAll(List.of("dependency:build-classpath", "-Dmdep.outputFile=" + classpath));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(home.resolve("maven.log").toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("could not resolve Spark's jars with Maven; see " + home.resolve("maven.log"));
        }
        Files.createDirectories(jars);
        for (String jar : Files.readString(classpath, StandardCharsets.UTF_8).trim().split(java.io.File.pathSeparator)) {
            Path source = Path.of(jar);
            Path link = jars.resolve(source.getFileName());
            if (Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                link = jars.resolve(source.getParent().getParent().getFileName() + "-" + source.getFileName());
            }
            Files.createSymbolicLink(link, source);
        }
        return home;
    }
}
