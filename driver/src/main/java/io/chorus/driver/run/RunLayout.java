package io.chorus.driver.run;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.security.AccessControlException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.driver.BadInputException;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.SnapshotStore;

/**
 * The layout of a run directory, and its one owner. Every path inside a run is named here:
 *
 * <pre>
 *   run.json                    the run's manifest (RunManifest)
 *   job.yaml                    the resolved configuration it was trained with
 *   chorus.lock                 the writer's lock while a command writes into the run (RunLock)
 *   members/member-NNN/         one member: member.json, progress.json, snapshots/
 *   eval/                       the evaluation (EvaluateJob)
 *   report/                     the offline report (ReportJob)
 *   data/                       the IDX files of a run fitted from a DataFrame (Spark ML)
 * </pre>
 *
 * plus the temporaries of their atomic replacement ({@code eval.tmp-*}, {@code .run.json.tmp-*}, ...).
 * Only this class decides whether a path holds a Chorus run, and only it deletes one.
 */
public final class RunLayout {
    private static final Logger LOG = LoggerFactory.getLogger(RunLayout.class);

    public static final String RUN_JSON = RunManifest.NAME;
    public static final String JOB_YAML = "job.yaml";
    public static final String LOCK = "chorus.lock";
    public static final String MEMBERS = "members";
    public static final String EVAL = "eval";
    public static final String REPORT = "report";
    public static final String DATA = "data";

    /** The entries a run directory may hold at its top level: Chorus's own, nothing else. */
    private static final Set<String> ENTRIES = Set.of(RUN_JSON, JOB_YAML, LOCK, MEMBERS, EVAL, REPORT, DATA);
    /** Temporaries of an atomic write or directory replacement that a killed process can leave behind. */
    private static final Pattern TEMPORARY = Pattern.compile("(\\..+\\.tmp-[0-9a-f-]+)|((eval|report)\\.(tmp|old)-[0-9a-f]+)");
    private static final Pattern MEMBER_DIR = Pattern.compile("member-\\d{3,}");

    /** What a path holds, as far as Chorus is concerned. */
    public enum State {
        /** nothing there yet */
        ABSENT,
        /** an empty directory */
        EMPTY,
        /** a Chorus run: run.json or job.yaml, and nothing but Chorus's own entries */
        RUN,
        /** a directory holding files Chorus did not write */
        FOREIGN,
        /** a regular file */
        FILE
    }

    private final FileSystem fs;
    private final Path root;

    public RunLayout(FileSystem fs, Path root) {
        this.fs = fs;
        this.root = root;
    }

    /** The layout of {@code dir} (any Hadoop URI), qualified; a malformed one is bad input naming {@code option}. */
    public static RunLayout of(String dir, Configuration conf, String option) throws BadInputException {
        try {
            Path p = HadoopFiles.qualify(HadoopFiles.path(dir), conf);
            return new RunLayout(HadoopFiles.fileSystem(p, conf), p);
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInputException(option + " " + dir + ": not a usable path (" + e.getMessage() + ")", e);
        }
    }

    public FileSystem fs() {
        return fs;
    }

    public Path root() {
        return root;
    }

    public Path runJson() {
        return new Path(root, RUN_JSON);
    }

    public Path jobYaml() {
        return new Path(root, JOB_YAML);
    }

    public Path lock() {
        return new Path(root, LOCK);
    }

    public Path members() {
        return new Path(root, MEMBERS);
    }

    public Path eval() {
        return new Path(root, EVAL);
    }

    public Path report() {
        return new Path(root, REPORT);
    }

    public Path data() {
        return new Path(root, DATA);
    }

    public Path member(int id) {
        return memberDir(root, id);
    }

    /** A member's directory in the run at {@code runDir}. */
    public static Path memberDir(Path runDir, int id) {
        return new Path(runDir, memberRelative(id));
    }

    /** A member's directory relative to the run directory, as run.json lists it. */
    public static String memberRelative(int id) {
        return String.format(Locale.ROOT, MEMBERS + "/member-%03d", id);
    }

    /** What {@link #root()} holds. */
    public State state() throws IOException {
        FileStatus status;
        try {
            status = fs.getFileStatus(root);
        } catch (FileNotFoundException e) {
            return State.ABSENT;
        }
        if (!status.isDirectory()) {
            return State.FILE;
        }
        FileStatus[] entries = java.util.Arrays.stream(fs.listStatus(root)).filter(e -> !e.getPath().getName().equals(LOCK)
                && !TEMPORARY.matcher(e.getPath().getName()).matches()).toArray(FileStatus[]::new);
        if (entries.length == 0) {
            return State.EMPTY;
        }
        if (!foreignEntries(entries).isEmpty()) {
            return State.FOREIGN;
        }
        boolean manifest = false;
        for (FileStatus e : entries) {
            String name = e.getPath().getName();
            manifest |= e.isFile() && (name.equals(RUN_JSON) || name.equals(JOB_YAML));
        }
        return manifest ? State.RUN : State.FOREIGN;
    }

    /** Up to {@code max} names at the top level of the run directory that Chorus did not write. */
    public List<String> foreign(int max) throws IOException {
        List<String> names = foreignEntries(fs.listStatus(root));
        return names.subList(0, Math.min(max, names.size()));
    }

    private List<String> foreignEntries(FileStatus[] entries) throws IOException {
        List<String> out = new ArrayList<>();
        for (FileStatus e : entries) {
            String name = e.getPath().getName();
            if (ENTRIES.contains(name) || TEMPORARY.matcher(name).matches()) {
                if (name.equals(MEMBERS) && e.isDirectory()) {
                    for (FileStatus m : fs.listStatus(e.getPath())) {
                        if (!m.isDirectory() || !MEMBER_DIR.matcher(m.getPath().getName()).matches()) {
                            out.add(MEMBERS + "/" + m.getPath().getName());
                        }
                    }
                }
                continue;
            }
            out.add(name);
        }
        out.sort(null);
        return out;
    }

    /**
     * Checks that a new run can be created at the root: nothing on the way is a regular file and the
     * nearest existing directory is writable. Bad input otherwise, naming the culprit.
     */
    public void checkCreatable(String option) throws BadInputException, IOException {
        Path p = root;
        while (p != null) {
            FileStatus s;
            try {
                s = fs.getFileStatus(p);
            } catch (FileNotFoundException e) {
                p = p.getParent();
                continue;
            } catch (AccessControlException e) {
                throw new BadInputException(option + " " + root + ": " + p + " cannot be read (" + e.getMessage() + ")", e);
            }
            if (!s.isDirectory()) {
                throw new BadInputException(option + " " + root + ": " + p + " is a regular file, expected a directory"
                        + (p.equals(root) ? " (a run directory)" : " to create the run directory in"));
            }
            if (!writable(p)) {
                throw new BadInputException(option + " " + root + ": " + p + " is not writable");
            }
            return;
        }
    }

    private boolean writable(Path dir) throws IOException {
        if (fs instanceof org.apache.hadoop.fs.RawLocalFileSystem raw) {
            // Through java.nio: Hadoop's own permission check of a local path needs the file: scheme.
            return java.nio.file.Files.isWritable(raw.pathToFile(dir).toPath());
        }
        try {
            fs.access(dir, FsAction.WRITE);
            return true;
        } catch (AccessControlException e) {
            return false;
        }
    }

    /**
     * Deletes the Chorus run at the root, keeping the lock (held by the caller) and the directory itself.
     * Refuses anything but a {@link State#RUN}, and a run that holds or lies inside any of {@code inputs}
     * (the job's data, its other inputs): those are never deleted.
     */
    public void deleteRun(List<Path> inputs) throws IOException, BadInputException {
        State s = state();
        if (s != State.RUN) {
            throw new BadInputException("--overwrite: " + root + " is not a Chorus run (" + describe(s)
                    + "); Chorus deletes only its own runs");
        }
        checkNotAnInput(inputs, "--overwrite");
        for (FileStatus e : fs.listStatus(root)) {
            if (!e.getPath().getName().equals(LOCK)) {
                LOG.info("--overwrite: deleting {}", e.getPath());
                fs.delete(e.getPath(), true);
            }
        }
    }

    /** Bad input if the root is, holds or lies inside any of {@code inputs}. */
    public void checkNotAnInput(List<Path> inputs, String option) throws BadInputException {
        String r = withSlash(root);
        for (Path in : inputs) {
            String i = withSlash(in);
            if (i.startsWith(r) || r.startsWith(i)) {
                throw new BadInputException(option + ": " + root + (i.startsWith(r) ? " holds " : " lies inside ") + in
                        + ", an input of the job; choose a run directory apart from the data");
            }
        }
    }

    private static String withSlash(Path p) {
        String s = p.toUri().normalize().toString();
        return s.endsWith("/") ? s : s + "/";
    }

    /** How a person would describe a state of a path. */
    public String describe(State s) throws IOException {
        return switch (s) {
            case ABSENT -> "it does not exist";
            case EMPTY -> "it is an empty directory";
            case RUN -> "it is a Chorus run";
            case FILE -> "it is a regular file";
            case FOREIGN -> {
                List<String> names = foreign(3);
                yield names.isEmpty() ? "it is a directory without run.json or job.yaml"
                        : "it is a directory holding files Chorus did not write: " + String.join(", ", names)
                        + (foreign(Integer.MAX_VALUE).size() > 3 ? ", ..." : "");
            }
        };
    }

    /**
     * Removes what killed processes left behind: temporaries of atomic writes in the run, its members and
     * their snapshot folders, and staging folders of evaluations and reports. Only for the holder of the lock:
     * nobody else writes then. Says on {@code out} how many it removed, if any.
     */
    public int removeStaleTemporaries(java.io.PrintStream out) throws IOException {
        int removed = removeStaleTemporaries();
        if (removed > 0) {
            out.printf(Locale.ROOT, "chorus: removed %d temporary file(s) that an earlier command left behind%n", removed);
        }
        return removed;
    }

    private int removeStaleTemporaries() throws IOException {
        int removed = removeTemporaries(root);
        if (fs.exists(members())) {
            for (FileStatus m : fs.listStatus(members())) {
                if (m.isDirectory()) {
                    removed += removeTemporaries(m.getPath());
                    Path snapshots = new Path(m.getPath(), SnapshotStore.SNAPSHOT_DIR);
                    if (fs.exists(snapshots)) {
                        removed += removeTemporaries(snapshots);
                    }
                }
            }
        }
        return removed;
    }

    private int removeTemporaries(Path dir) throws IOException {
        int removed = 0;
        for (FileStatus e : fs.listStatus(dir)) {
            if (TEMPORARY.matcher(e.getPath().getName()).matches()) {
                LOG.info("removing {}, left behind by an earlier command that did not finish", e.getPath());
                fs.delete(e.getPath(), true);
                removed++;
            }
        }
        return removed;
    }
}
