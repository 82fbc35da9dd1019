package io.chorus.driver.cluster;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Spark standalone cluster on 127.0.0.1 started from the Maven-resolved Spark jars alone (no Spark
 * distribution): a Master and Workers as plain {@code java -cp 'jars/*'} processes, and drivers submitted
 * through {@code org.apache.spark.deploy.SparkSubmit}, which is what bin/spark-submit runs.
 *
 * <p>What it takes, measured: a directory that looks like SPARK_HOME (its {@code jars/} holds the Spark
 * jars; Workers build executor command lines from it), {@code SPARK_SCALA_VERSION=2.12} in the Workers'
 * environment (without it the launcher looks for a source build's target directories and no executor
 * starts), and {@code SPARK_LOCAL_IP} set to a loopback address so everything binds to loopback. A driver started as
 * {@code java ... SparkSubmit} in client mode runs in that JVM, so its JVM options (Java 17 module opens)
 * go on the java command line. Processes are stopped drivers first, then the Master, then the Workers with
 * their executors, each by its own process handle.
 */
public final class StandaloneCluster implements AutoCloseable {
    /** What Spark 3.5 needs opened on Java 17 (org.apache.spark.launcher.JavaModuleOptions). */
    public static final List<String> MODULE_OPTIONS = moduleOptions();

    private final Path home;
    private final Path logs;
    private final List<Process> drivers = new ArrayList<>();
    private final List<Process> workers = new ArrayList<>();
    private Process master;
    private int masterPort;

    private StandaloneCluster(Path home, Path logs) {
        this.home = home;
        this.logs = logs;
    }

    /** Starts a Master and {@code workers} Workers of {@code cores} cores and {@code memory} each. */
    static StandaloneCluster start(Path sparkHome, Path logs, int workers, int cores, String memory)
            throws IOException, InterruptedException {
        Files.createDirectories(logs);
        StandaloneCluster c = new StandaloneCluster(sparkHome, logs);
        try {
            c.masterPort = freePort();
            c.master = c.launch("master", List.of("-Xmx256m", "org.apache.spark.deploy.master.Master",
                    "--host", "127.0.0.1", "--port", Integer.toString(c.masterPort),
                    "--webui-port", Integer.toString(freePort())), "127.0.0.1");
            awaitPort(c.masterPort, c.master, logs.resolve("master.log"));
            for (int i = 0; i < workers; i++) {
                Path work = Files.createDirectories(logs.resolve("worker-" + i));
                String host = workerHost(i);
                Path gpus = fakeGpuScript(work, i);
                c.workers.add(c.launch("worker-" + i, List.of("-Xmx256m",
                        "-Dspark.worker.resource.gpu.amount=1", "-Dspark.worker.resource.gpu.discoveryScript=" + gpus,
                        "org.apache.spark.deploy.worker.Worker",
                        c.masterUrl(), "--host", host, "--cores", Integer.toString(cores), "--memory", memory,
                        "--work-dir", work.toString(), "--webui-port", Integer.toString(freePort())), host));
            }
            c.awaitWorkers(workers);
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /**
     * Submits {@code chorus.jar} with {@code args} to this cluster in client mode and returns the driver
     * process; its output goes to {@code logs/<name>.log}.
     */
    Process submit(String name, Path chorusJar, List<String> sparkConf, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("-Xmx1g"));
        cmd.addAll(MODULE_OPTIONS);
        cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + javacppCache());
        cmd.addAll(List.of("org.apache.spark.deploy.SparkSubmit", "--master", masterUrl(), "--deploy-mode", "client",
                "--class", "io.chorus.driver.Chorus"));
        for (String c : sparkConf) {
            cmd.add("--conf");
            cmd.add(c);
        }
        cmd.add(chorusJar.toString());
        cmd.addAll(args);
        Process p = launch(name, cmd, "127.0.0.1");
        drivers.add(p);
        return p;
    }

    /** The Spark settings every submission here needs: executors of one core that find ND4J's cache. */
    static List<String> executorConf() {
        return List.of("spark.executor.cores=1", "spark.executor.memory=1200m",
                "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.cachedir=" + javacppCache(),
                "spark.executorEnv.OMP_NUM_THREADS=1", "spark.executorEnv.SPARK_SCALA_VERSION=2.12",
                "spark.ui.enabled=false",
                // Tasks wait until both Workers' executors have registered: else a fast member finishes on the
                // first executor and the second member runs there too, before the other JVM is up.
                "spark.cores.max=2", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "spark.scheduler.maxRegisteredResourcesWaitingTime=120s");
    }

    static String javacppCache() {
        return System.getProperty("org.bytedeco.javacpp.cachedir",
                System.getProperty("user.home") + "/.cache/chorus/javacpp");
    }

    Path log(String name) {
        return logs.resolve(name + ".log");
    }

    /**
     * Worker {@code i} binds to 127.0.0.(i+1): every address of 127.0.0.0/8 is loopback on Linux, and
     * distinct hosts let Spark place a speculative copy of a task on another Worker (it never runs two
     * attempts of one task on the same host).
     */
    static String workerHost(int i) {
        return "127.0.0." + (i + 1);
    }

    /**
     * A GPU discovery script that reports one GPU, address {@code i}, for Worker {@code i}: no GPU exists,
     * but Spark schedules the resource all the same, so what Chorus does with the address is testable.
     */
    private static Path fakeGpuScript(Path dir, int i) throws IOException {
        Path script = dir.resolve("discover-gpus.sh");
        Files.writeString(script, "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"" + i + "\"]}'\n");
        script.toFile().setExecutable(true);
        return script;
    }

    private Process launch(String name, List<String> javaArgs, String bindAddress) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(home.resolve("jars") + File.separator + "*");
        cmd.addAll(javaArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_LOCAL_IP", bindAddress);
        env.put("OMP_NUM_THREADS", "1");
        env.remove("SPARK_CONF_DIR");
        return pb.start();
    }

    private void awaitWorkers(int n) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            String log = Files.readString(logs.resolve("master.log"), StandardCharsets.UTF_8);
            int registered = log.split("Registering worker", -1).length - 1;
            if (registered >= n) {
                return;
            }
            for (Process w : workers) {
                if (!w.isAlive()) {
                    throw new IllegalStateException("a Worker exited during start-up; see " + logs);
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(n + " Workers did not register with the Master within 60 s; see " + logs);
    }

    private static void awaitPort(int port, Process p, Path log) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the Master exited during start-up; see " + log);
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the Master did not listen on " + port + " within 60 s; see " + log);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Stops drivers, then the Master, then the Workers and their executors. */
    @Override
    public void close() {
        drivers.forEach(StandaloneCluster::stop);
        if (master != null) {
            stop(master);
        }
        workers.forEach(StandaloneCluster::stop);
    }

    private static void stop(Process p) {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        try {
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    private static List<String> moduleOptions() {
        List<String> opts = new ArrayList<>(List.of("-XX:+IgnoreUnrecognizedVMOptions",
                "-Djdk.reflect.useDirectMethodHandle=false"));
        for (String pkg : List.of("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
                "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch",
                "sun.nio.cs", "sun.security.action", "sun.util.calendar")) {
            opts.add("--add-opens=java.base/" + pkg + "=ALL-UNNAMED");
        }
        opts.add("--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED");
        return List.copyOf(opts);
    }
}
