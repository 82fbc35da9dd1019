package io.chorus.driver.run;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.BadInputException;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;

/**
 * The one writer of a run directory. Every command that writes into a run (train, its resume and overwrite,
 * evaluate, report) holds this lock for as long as it writes.
 *
 * <p>The lock is the file {@code chorus.lock}, created only if absent ({@link HadoopFiles#createNew}), which is
 * atomic on local file systems and on HDFS: of two writers exactly one creates it. It names its
 * holder (host, pid, command, start, a token). The holder refreshes the file's modification time every
 * {@link #HEARTBEAT} (its heartbeat) and deletes the file when done. A lock is stale, and taken over with a
 * message, when its heartbeat is older than {@link #STALE}, or when its holder ran on this host and that
 * process is gone. A lock that cannot be read (a holder killed while writing it) counts by its heartbeat alone.
 *
 * <p>On object stores (s3a) creating a file is not atomic: two writers starting within moments of each other
 * may both get the lock. There the lock guards against the ordinary mistake (a second command on a run that
 * is being written), not against a race of two schedulers.
 */
public final class RunLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);
    public static final Duration HEARTBEAT = Duration.ofSeconds(15);
    public static final Duration STALE = Duration.ofMinutes(2);

    /** What the lock file says about its holder. */
    public static final class Holder {
        public String host;
        public long pid;
        public String command;
        public String started;
        public String token;

        @Override
        public String toString() {
            return command + " (pid " + pid + " on " + host + ", since " + started + ")";
        }
    }

    private final FileSystem fs;
    private final Path path;
    private final Holder holder;
    private final ScheduledExecutorService heartbeat;

    private RunLock(FileSystem fs, Path path, Holder holder) {
        this.fs = fs;
        this.path = path;
        this.holder = holder;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chorus-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = HEARTBEAT.toMillis();
        heartbeat.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the lock of {@code layout}'s run for {@code command}, creating the run directory if needed.
     * Bad input naming the holder if another live command holds it; a stale lock is taken over, saying so on
     * {@code out}.
     */
    public static RunLock acquire(RunLayout layout, String command, PrintStream out) throws IOException, BadInputException {
        FileSystem fs = layout.fs();
        Path path = layout.lock();
        fs.mkdirs(layout.root());
        Holder me = new Holder();
        me.host = localHost();
        me.pid = ProcessHandle.current().pid();
        me.command = command;
        me.started = Instant.now().toString();
        me.token = UUID.randomUUID().toString();
        for (int attempt = 0; attempt < 2; attempt++) {
            if (HadoopFiles.createNew(fs, path, Json.write(me))) {
                return new RunLock(fs, path, me);
            }
            FileStatus status;
            try {
                status = fs.getFileStatus(path);
            } catch (FileNotFoundException gone) {
                continue; // released in between: try again
            }
            Holder other = read(fs, path);
            String stale = staleness(other, status);
            if (stale == null) {
                throw new BadInputException(layout.root() + " is being written by " + (other == null ? "another command"
                        : other) + "; wait for it to end (its lock is " + path + ")");
            }
            // Take over only the lock that was judged stale: another command may have done so meanwhile.
            Holder again = read(fs, path);
            if (again != null && other != null && !again.token.equals(other.token)) {
                continue;
            }
            out.println("chorus: taking over the lock of " + (other == null ? "an unknown holder" : other) + ": " + stale);
            fs.delete(path, false);
        }
        throw new BadInputException(layout.root() + " is being written by another command that took its lock just now ("
                + path + ")");
    }

    private static Holder read(FileSystem fs, Path path) {
        try (var in = fs.open(path)) {
            return Json.MAPPER.readValue(in.readAllBytes(), Holder.class);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Why a lock is stale, or null while its holder lives. */
    static String staleness(Holder h, FileStatus status) {
        Duration age = Duration.ofMillis(Math.max(0, System.currentTimeMillis() - status.getModificationTime()));
        if (age.compareTo(STALE) > 0) {
            return "its last heartbeat was " + age.toSeconds() + " s ago";
        }
        if (h != null && h.host != null && h.host.equals(localHost()) && ProcessHandle.of(h.pid).map(p -> !p.isAlive()).orElse(true)) {
            return "process " + h.pid + " on this host is gone";
        }
        return null;
    }

    private void beat() {
        try {
            Holder now = read(fs, path);
            if (now == null || !holder.token.equals(now.token)) {
                LOG.error("the lock {} is no longer this command's (now {}); another command took it over", path, now);
                return;
            }
            fs.setTimes(path, System.currentTimeMillis(), -1);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot refresh the heartbeat of {}: {}", path, e.toString());
        }
    }

    private static String localHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    /** Releases the lock if it is still this command's. */
    @Override
    public void close() throws IOException {
        heartbeat.shutdownNow();
        Holder now = read(fs, path);
        if (now != null && holder.token.equals(now.token)) {
            fs.delete(path, false);
        }
    }
}
