package io.chorus.worker.fs;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Every file Chorus reads or writes goes through the Hadoop FileSystem API, so a run directory or a
 * data directory can be {@code file://}, {@code hdfs://} or {@code s3a://} alike.
 *
 * <p>Atomic replacement differs per file system, and this class is the one place that knows how:
 * <ul>
 *   <li>local: POSIX {@code rename(2)} through {@link Files#move} with {@code ATOMIC_MOVE};</li>
 *   <li>HDFS and other file systems with an {@code AbstractFileSystem}: {@link FileContext#rename} with
 *       {@code OVERWRITE}, atomic in the NameNode;</li>
 *   <li>object stores (s3a, gs, abfs): a rename is a copy, but an object written by a single PUT
 *       becomes visible whole on close, so the target is written directly.</li>
 * </ul>
 * The local file system is used raw: no {@code .crc} side files beside each snapshot.
 */
public final class HadoopFiles {
    private static final java.util.Set<String> OBJECT_STORES = java.util.Set.of("s3a", "s3", "gs", "abfs", "abfss", "wasb", "wasbs", "oss");

    private HadoopFiles() {
    }

    /** A plain local path or any URI Hadoop understands. */
    public static Path path(String uriOrPath) {
        return new Path(uriOrPath);
    }

    /** The file system of {@code p}; for local paths the raw one (no checksum side files). */
    public static FileSystem fileSystem(Path p, Configuration conf) throws IOException {
        FileSystem fs = p.getFileSystem(conf);
        if (fs instanceof LocalFileSystem local) {
            return local.getRawFileSystem();
        }
        return fs;
    }

    /** {@code p} made absolute and qualified with its scheme, e.g. {@code file:/home/x/runs/a}. */
    public static Path qualify(Path p, Configuration conf) throws IOException {
        return fileSystem(p, conf).makeQualified(p);
    }

    /** Writes {@code bytes} so that readers see either the old {@code target} or the new one, never a mix. */
    public static void writeAtomically(FileSystem fs, Path target, byte[] bytes) throws IOException {
        if (isObjectStore(fs)) {
            try (OutputStream out = fs.create(target, true)) {
                out.write(bytes);
            }
            return;
        }
        Path tmp = temporarySibling(target);
        try {
            try (OutputStream out = fs.create(tmp, false)) {
                out.write(bytes);
            }
            replace(fs, tmp, target);
        } catch (IOException | RuntimeException e) {
            try {
                fs.delete(tmp, false); // a half-written temporary, e.g. on a full disk
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Moves {@code source} onto {@code target}, replacing it atomically where the file system can
     * (see the class comment). {@code source} must be on the same file system.
     */
    public static void replace(FileSystem fs, Path source, Path target) throws IOException {
        if (fs instanceof RawLocalFileSystem raw) {
            Files.move(raw.pathToFile(source).toPath(), raw.pathToFile(target).toPath(),
                    StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        if (!fs.exists(target)) {
            if (!fs.rename(source, target)) {
                throw new IOException("could not rename " + source + " to " + target);
            }
            return;
        }
        FileContext fc = FileContext.getFileContext(fs.getUri(), fs.getConf());
        fc.rename(source, target, Options.Rename.OVERWRITE);
    }

    /**
     * Creates {@code target} holding {@code bytes} only if no file is there: false if one is. Atomic on the
     * local file system ({@code O_EXCL}) and on HDFS (the NameNode); on object stores a check, then a write.
     */
    public static boolean createNew(FileSystem fs, Path target, byte[] bytes) throws IOException {
        if (fs instanceof RawLocalFileSystem raw) {
            try {
                Files.write(raw.pathToFile(target).toPath(), bytes, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        try (OutputStream out = fs.create(target, false)) {
            out.write(bytes);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (fs.exists(target)) {
                return false; // some file systems report an existing file by another exception
            }
            throw e;
        }
    }

    /** Renames {@code source} to a {@code target} that must not exist yet; fails loudly otherwise. */
    public static void renameNew(FileSystem fs, Path source, Path target) throws IOException {
        if (fs.exists(target)) {
            throw new IOException("refusing to replace existing " + target);
        }
        if (fs instanceof RawLocalFileSystem raw) {
            Files.move(raw.pathToFile(source).toPath(), raw.pathToFile(target).toPath(), StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        if (!fs.rename(source, target)) {
            throw new IOException("could not rename " + source + " to " + target);
        }
    }

    /**
     * Puts the complete directory {@code staging} in the place of {@code target}: the old one is moved aside,
     * the new one renamed in, the old one deleted. Readers see the old directory or the new one; a crash in
     * between leaves the old one beside, under a {@code .old-} name, never a half-written target. If the new one
     * cannot be renamed in, the old one is put back.
     */
    public static void replaceDirectory(FileSystem fs, Path staging, Path target) throws IOException {
        if (fs.exists(target)) {
            Path old = new Path(target.getParent(), target.getName() + ".old-" + UUID.randomUUID().toString().substring(0, 8));
            if (!fs.rename(target, old)) {
                throw new IOException("cannot move the previous " + target + " aside");
            }
            try {
                renameNew(fs, staging, target);
            } catch (IOException | RuntimeException e) {
                try {
                    renameNew(fs, old, target); // the previous directory back in its place
                } catch (IOException | RuntimeException back) {
                    e.addSuppressed(back);
                }
                throw e;
            }
            fs.delete(old, true);
        } else {
            renameNew(fs, staging, target);
        }
    }

    /**
     * Whether {@code p} is {@code dir} or lies under it: both made absolute and qualified, {@code ..} resolved,
     * and on the local file system symbolic links of their existing parts followed.
     */
    public static boolean isWithin(Path p, Path dir, Configuration conf) throws IOException {
        URI a = resolved(p, conf);
        URI b = resolved(dir, conf);
        if (!java.util.Objects.equals(a.getScheme(), b.getScheme())
                || !java.util.Objects.equals(a.getAuthority(), b.getAuthority())) {
            return false;
        }
        String x = a.getPath();
        String y = b.getPath().endsWith("/") ? b.getPath() : b.getPath() + "/";
        return x.equals(b.getPath()) || x.startsWith(y);
    }

    private static URI resolved(Path p, Configuration conf) throws IOException {
        FileSystem fs = fileSystem(p, conf);
        Path q = fs.makeQualified(p);
        if (fs instanceof RawLocalFileSystem raw) {
            q = fs.makeQualified(new Path(raw.pathToFile(q).getCanonicalFile().getPath()));
        }
        return q.toUri().normalize();
    }

    /** {@code out} with {@code close()} reduced to {@code flush()}, for writers that close what they are given. */
    public static OutputStream closeShield(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
    }

    /** A name beside {@code target} that no other writer (thread, task attempt, process) uses. */
    public static Path temporarySibling(Path target) {
        return new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    }

    /** Whole file as bytes; a clear error if it is missing. */
    public static byte[] readAll(FileSystem fs, Path p) throws IOException {
        if (!fs.exists(p)) {
            throw new FileNotFoundException("no such file: " + p);
        }
        try (InputStream in = fs.open(p)) {
            return in.readAllBytes();
        }
    }

    /** Lower-case hex SHA-256 of a file's bytes. */
    public static String sha256(FileSystem fs, Path p) throws IOException {
        MessageDigest md = sha256Digest();
        try (InputStream in = new DigestInputStream(fs.open(p), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256Digest().digest(bytes));
    }

    public static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    static boolean isObjectStore(FileSystem fs) {
        URI uri = fs.getUri();
        return uri.getScheme() != null && OBJECT_STORES.contains(uri.getScheme());
    }
}
