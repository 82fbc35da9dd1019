package io.chorus.worker.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Locates the standard IDX files ({@code train-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, ...)
 * in a data directory and loads them.
 *
 * <p>Configurations name the system-wide location of the data (for example
 * {@code /usr/share/datasets/fashion-mnist}, where the Debian package installs it). Where that package
 * could not be installed because the user is not root, {@code scripts/get-data} downloads the files
 * into {@code ./data/<name>} or {@code ./data} instead. Rather than asking every user to edit their
 * configuration, {@link #resolveDir} falls back to those places for a missing local directory, and
 * reports every place it looked when nothing is found. Remote URIs ({@code hdfs:}, {@code s3a:}, ...)
 * are never second-guessed.
 *
 * <p>Each file may be stored plain or gzip-compressed ({@code .gz}); whichever exists is used.
 */
public final class DataFiles {

    /** Base name of the training images. */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    /** Base name of the training labels. */
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    /** Base name of the test images. */
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    /** Base name of the test labels. */
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    private static final List<String> STANDARD_NAMES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);
    /** A URI scheme of two or more characters (one letter would be a Windows drive). */
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.\\-]+:.*");
    /** Symbolic links followed before a chain counts as a loop (Linux gives up after 40). */
    private static final int MAX_LINKS = 40;

    private DataFiles() {
    }

    /**
     * The directory that actually holds the data, relative fallbacks resolved against the process's
     * working directory.
     *
     * <p>For a local {@code dir} (no scheme, or {@code file:}): {@code dir} itself if it is an existing
     * directory (returned unchanged if absolute or a {@code file:} URI, else made absolute); otherwise the first of {@code ./data/<last component of dir>} and
     * {@code ./data} that exists and holds at least one standard IDX file (returned as an absolute
     * path). Any other URI is returned unchanged without being checked.
     *
     * @throws FileNotFoundException naming every place looked at, if none of them qualifies
     */
    public static String resolveDir(String dir) throws FileNotFoundException {
        return resolveDir(dir, java.nio.file.Path.of("").toAbsolutePath());
    }

    /** {@link #resolveDir(String)} with the fallbacks resolved against {@code workDir}. */
    static String resolveDir(String dir, java.nio.file.Path workDir) throws FileNotFoundException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(workDir, "workDir");
        if (dir.isEmpty()) {
            throw new IllegalArgumentException("data directory must not be empty");
        }
        if (!isLocal(dir)) {
            return dir;
        }
        java.nio.file.Path local = toLocalPath(dir, workDir);
        if (Files.isDirectory(local)) {
            // Relative paths are made absolute so the answer does not depend on who resolves it later.
            return SCHEME.matcher(dir).matches() || java.nio.file.Path.of(dir).isAbsolute() ? dir : local.toString();
        }
        Set<java.nio.file.Path> candidates = new LinkedHashSet<>();
        java.nio.file.Path data = workDir.resolve("data").toAbsolutePath().normalize();
        java.nio.file.Path last = local.normalize().getFileName();
        if (last != null && !last.toString().isEmpty()) {
            candidates.add(data.resolve(last.toString()));
        }
        candidates.add(data);
        for (java.nio.file.Path candidate : candidates) {
            if (holdsIdxFiles(candidate)) {
                return candidate.toString();
            }
        }
        List<String> looked = new ArrayList<>();
        looked.add(dir.equals(local.toString()) ? dir : dir + " (" + local + ")");
        for (java.nio.file.Path candidate : candidates) {
            looked.add(candidate + (Files.isDirectory(candidate) ? " (exists but holds no IDX file)" : ""));
        }
        throw new FileNotFoundException("data directory " + dir + " not found; looked at: "
                + String.join(", ", looked)
                + ". Install the data there, or run scripts/get-data to download it into ./data.");
    }

    /**
     * Loads {@code train-images-idx3-ubyte[.gz]} and {@code train-labels-idx1-ubyte[.gz]} from
     * {@link #resolveDir(String) resolveDir(dir)}.
     *
     * @throws FileNotFoundException if the directory or a file is missing; the message lists the
     *                               names looked for
     * @throws DataFormatException   if a file is malformed
     */
    public static ImageData loadTrain(String dir, int numClasses, Configuration conf) throws IOException {
        return load(resolveDir(dir), TRAIN_IMAGES, TRAIN_LABELS, numClasses, conf);
    }

    /**
     * Loads {@code t10k-images-idx3-ubyte[.gz]} and {@code t10k-labels-idx1-ubyte[.gz]} from
     * {@link #resolveDir(String) resolveDir(dir)}.
     *
     * @throws FileNotFoundException if the directory or a file is missing; the message lists the
     *                               names looked for
     * @throws DataFormatException   if a file is malformed
     */
    public static ImageData loadTest(String dir, int numClasses, Configuration conf) throws IOException {
        return load(resolveDir(dir), TEST_IMAGES, TEST_LABELS, numClasses, conf);
    }

    /**
     * The URIs of the training images and labels files in {@link #resolveDir(String) resolveDir(dir)}:
     * what a launcher fingerprints, or ships to executors as raw bytes.
     */
    public static List<String> trainFiles(String dir, Configuration conf) throws IOException {
        return files(resolveDir(dir), TRAIN_IMAGES, TRAIN_LABELS, conf);
    }

    /** The URIs of the test images and labels files, as {@link #trainFiles}. */
    public static List<String> testFiles(String dir, Configuration conf) throws IOException {
        return files(resolveDir(dir), TEST_IMAGES, TEST_LABELS, conf);
    }

    /** Loads one image/label pair from an already resolved directory. */
    static ImageData load(String resolvedDir, String imagesBase, String labelsBase, int numClasses,
                          Configuration conf) throws IOException {
        List<String> files = files(resolvedDir, imagesBase, labelsBase, conf);
        return IdxReader.read(files.get(0), files.get(1), numClasses, conf);
    }

    private static List<String> files(String resolvedDir, String imagesBase, String labelsBase, Configuration conf)
            throws IOException {
        Objects.requireNonNull(conf, "conf");
        // A local directory (as resolveDir reports it) is read as such, whatever fs.defaultFS says.
        Path dirPath = isLocal(resolvedDir) && !resolvedDir.startsWith("file:")
                ? new Path(java.nio.file.Path.of(resolvedDir).toAbsolutePath().toUri())
                : new Path(resolvedDir);
        FileSystem fs = FileSystem.get(dirPath.toUri(), conf);
        return List.of(find(fs, dirPath, imagesBase), find(fs, dirPath, labelsBase));
    }

    /** The URI of {@code base} or {@code base.gz} in {@code dir}, preferring the uncompressed file. */
    private static String find(FileSystem fs, Path dir, String base) throws IOException {
        Path plain = new Path(dir, base);
        Path gz = new Path(dir, base + ".gz");
        if (fs.isFile(plain)) {
            return plain.toString();
        }
        if (fs.isFile(gz)) {
            return gz.toString();
        }
        String plainIs = notAFile(fs, plain);
        String gzIs = notAFile(fs, gz);
        if (plainIs == null && gzIs == null) {
            throw new FileNotFoundException("neither " + base + " nor " + base + ".gz found in " + dir);
        }
        // Something is there, only not a file: say what, rather than "not found".
        throw new FileNotFoundException(plainIs != null
                ? plain + " " + plainIs + ", expected an IDX file" + (gzIs != null ? "; " + gz + " " + gzIs : "")
                : gz + " " + gzIs + ", expected an IDX file (" + base + " does not exist either)");
    }

    /**
     * What is at {@code p} when it is not a readable file: "is a directory", "is a symbolic link loop", ...;
     * null if nothing is there at all. Symbolic links are only seen on the local file system.
     */
    static String notAFile(FileSystem fs, Path p) throws IOException {
        if ("file".equals(fs.getUri().getScheme())) {
            return notAFile(java.nio.file.Path.of(p.toUri().getPath()));
        }
        return fs.exists(p) && fs.getFileStatus(p).isDirectory() ? "is a directory" : null;
    }

    /** {@link #notAFile(FileSystem, Path)} of a local path, symbolic links followed one by one. */
    static String notAFile(java.nio.file.Path p) throws IOException {
        java.nio.file.Path at = p.toAbsolutePath();
        Set<java.nio.file.Path> seen = new LinkedHashSet<>();
        while (Files.isSymbolicLink(at)) {
            if (!seen.add(at.normalize()) || seen.size() > MAX_LINKS) {
                return "is a symbolic link loop";
            }
            at = at.resolveSibling(Files.readSymbolicLink(at)).toAbsolutePath();
        }
        String what;
        if (!Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
            what = seen.isEmpty() ? null : "does not exist";
        } else if (Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
            what = "is a directory";
        } else if (!Files.isRegularFile(at, LinkOption.NOFOLLOW_LINKS)) {
            what = "is not a regular file (a device, pipe or socket)";
        } else {
            what = null; // a regular file after all: whoever asked could not read it as one
        }
        return what == null || seen.isEmpty() ? what : "is a symbolic link to " + at + ", which " + what;
    }

    /** Whether {@code dir} is on the local file system: no scheme, or the {@code file:} scheme. */
    static boolean isLocal(String dir) {
        return !SCHEME.matcher(dir).matches() || dir.regionMatches(true, 0, "file:", 0, 5);
    }

    private static java.nio.file.Path toLocalPath(String dir, java.nio.file.Path workDir) {
        String path = dir.regionMatches(true, 0, "file:", 0, 5) ? new Path(dir).toUri().getPath() : dir;
        return workDir.resolve(path);
    }

    private static boolean holdsIdxFiles(java.nio.file.Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (String name : STANDARD_NAMES) {
            if (Files.isRegularFile(dir.resolve(name)) || Files.isRegularFile(dir.resolve(name + ".gz"))) {
                return true;
            }
        }
        return false;
    }
}
