package io.chorus.worker.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.api.preprocessor.DataNormalization;
import org.nd4j.linalg.dataset.api.preprocessor.serializer.NormalizerSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.fs.Json;

/**
 * A member directory: {@code member.json} plus {@code snapshots/*.zip}.
 *
 * <p>Snapshots are committed in two phases. The zip is written under a unique temporary name (task
 * attempts racing on one member never share a file), renamed to its final name, which is unique too,
 * and only then listed in the manifest, itself replaced atomically. A crash at any point leaves the
 * previous manifest, and every snapshot it lists, intact; an unlisted zip is garbage a reader ignores.
 *
 * <p>Several attempts of one member may run at once (a Spark retry while the first attempt's executor is
 * not yet known to be dead, a speculative copy). Each commit first reads the manifest on disk: if a newer
 * attempt has started since this one, or the member already ended, this attempt is fenced off with a
 * {@link SupersededAttemptException} and its unlisted zip deleted. Attempt numbers are claimed atomically
 * ({@link #beginAttempt}), so two attempts never share one. The check and the write are not one atomic step,
 * so two attempts can still interleave within that window; training is deterministic, so whichever of their
 * manifests lands lists snapshots of the same parameters.
 *
 * <p>A listed snapshot whose checksum fails is quarantined: moved to {@code snapshots/quarantine/}, dropped
 * from the manifest and recorded in its {@code quarantined} list, never loaded.
 *
 * <p>Every snapshot is a plain DL4J {@link ModelSerializer} zip with the updater state and the
 * training-set normalization inside, so {@code ModelSerializer.restoreComputationGraph} loads it as is
 * and training can resume from any of them bit for bit. Chorus itself loads snapshots only through
 * {@link SafeModels#restore}, which refuses zips holding anything else.
 */
public final class SnapshotStore {
    public static final String MANIFEST = "member.json";
    public static final String SNAPSHOT_DIR = "snapshots";
    public static final String QUARANTINE = "quarantine";
    /** Where attempt numbers are claimed, one empty file per attempt. */
    public static final String ATTEMPTS = "attempts";
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);

    /** A point between writing a snapshot's data and committing it, where tests inject failures. */
    @FunctionalInterface
    interface CommitHook {
        void beforeManifest(Path snapshot) throws IOException;
    }

    private final FileSystem fs;
    private final Path dir;
    private final CommitHook hook;

    public SnapshotStore(FileSystem fs, Path memberDir) {
        this(fs, memberDir, snapshot -> { });
    }

    SnapshotStore(FileSystem fs, Path memberDir, CommitHook hook) {
        this.fs = fs;
        this.dir = memberDir;
        this.hook = hook;
    }

    public Path directory() {
        return dir;
    }

    public Path manifestPath() {
        return new Path(dir, MANIFEST);
    }

    public Optional<MemberManifest> readManifest() throws IOException {
        Path p = manifestPath();
        if (!fs.exists(p)) {
            return Optional.empty();
        }
        return Optional.of(Json.read(HadoopFiles.readAll(fs, p), MemberManifest.class, p.toString()));
    }

    /**
     * Starts a new attempt of the member and writes the manifest. Its number is claimed atomically (the file
     * {@code attempts/NNNN}, created only if absent), so two attempts that start at the same moment, both from
     * no manifest or from the same one, still get different numbers: the newer one fences the older off at the
     * older one's next write, and neither loses the other from the attempt log.
     */
    public void beginAttempt(MemberManifest manifest, Attempt.Placement where, long resumedAt, String engine,
                             Integer threads, String isa) throws IOException {
        Path claims = new Path(dir, ATTEMPTS);
        fs.mkdirs(claims);
        int number = manifest.getAttempts() + 1;
        while (!HadoopFiles.createNew(fs, new Path(claims, String.format(Locale.ROOT, "%04d", number)), new byte[0])) {
            number++;
        }
        manifest.startAttempt(number, where, resumedAt, engine, threads, isa);
        writeManifest(manifest);
    }

    public void writeManifest(MemberManifest manifest) throws IOException {
        fence(manifest);
        fs.mkdirs(dir);
        HadoopFiles.writeAtomically(fs, manifestPath(), Json.write(manifest));
    }

    /**
     * Writes {@code net} as a snapshot and commits it into {@code manifest} (which is then written).
     * On failure the manifest on disk is the previous one and {@code manifest} is unchanged.
     */
    public SnapshotRecord commit(ComputationGraph net, DataNormalization normalizer, MemberManifest manifest,
                                 int epoch, long iteration, double lr, List<SnapshotKind> kinds,
                                 Double valAccuracy, Double valLoss) throws IOException {
        Path snapshots = new Path(dir, SNAPSHOT_DIR);
        fs.mkdirs(snapshots);
        String tag = String.join("+", kinds.stream().map(SnapshotKind::configName).toList());
        String name = String.format(Locale.ROOT, "%s-e%04d-i%08d-%s.zip", tag, epoch, iteration,
                UUID.randomUUID().toString().substring(0, 8));
        Path target = new Path(snapshots, name);
        Path tmp = HadoopFiles.temporarySibling(target);
        MessageDigest md = HadoopFiles.sha256Digest();
        try {
            try (OutputStream file = new DigestOutputStream(fs.create(tmp, false), md)) {
                writeZip(net, normalizer, file);
            }
            HadoopFiles.renameNew(fs, tmp, target);
        } catch (IOException | RuntimeException e) {
            fs.delete(tmp, false);
            throw e;
        }
        SnapshotRecord record = new SnapshotRecord(SNAPSHOT_DIR + "/" + name, HexFormat.of().formatHex(md.digest()),
                epoch, iteration, lr, kinds.stream().map(SnapshotKind::configName).toList(), valAccuracy, valLoss);
        hook.beforeManifest(target);
        manifest.addSnapshot(record);
        try {
            writeManifest(manifest);
        } catch (IOException | RuntimeException e) {
            manifest.getSnapshots().remove(record);
            if (e instanceof SupersededAttemptException) {
                fs.delete(target, false); // never listed, and no attempt will list it
            }
            throw e;
        }
        return record;
    }

    /**
     * The zip {@code ModelSerializer.writeModel(net, out, true, normalizer)} would write. DL4J's own
     * normalizer path flushes a stream it closed itself, which commons-io 2.9+ (the version Spark ships)
     * turns into an IOException; so the model is serialized first and the normalizer entry appended to it
     * the way {@code ModelSerializer.addNormalizerToModel} does.
     */
    static void writeZip(ComputationGraph net, DataNormalization normalizer, OutputStream out) throws IOException {
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, model, true);
        ZipOutputStream zip = new ZipOutputStream(out);
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(model.toByteArray()))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                zip.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(zip);
                zip.closeEntry();
            }
        }
        zip.putNextEntry(new ZipEntry(ModelSerializer.NORMALIZER_BIN));
        NormalizerSerializer.getDefault().write(normalizer, HadoopFiles.closeShield(zip));
        zip.closeEntry();
        zip.finish();
    }

    /**
     * Throws {@link SupersededAttemptException} if the manifest on disk belongs to a newer attempt than
     * {@code manifest}'s, or records the member as ended while {@code manifest} does not.
     */
    void fence(MemberManifest manifest) throws IOException {
        Optional<MemberManifest> onDisk;
        try {
            onDisk = readManifest();
        } catch (IOException unreadable) {
            return; // a manifest being replaced right now; the writer that wins decides
        }
        if (onDisk.isEmpty()) {
            return;
        }
        MemberManifest d = onDisk.get();
        if (d.getAttempts() > manifest.getAttempts()) {
            throw new SupersededAttemptException("member " + manifest.getMember() + ": attempt " + manifest.getAttempts()
                    + " is superseded by attempt " + d.getAttempts() + " (" + manifestPath() + ")");
        }
        if (d.getStatus().terminal() && !manifest.getStatus().terminal()) {
            throw new SupersededAttemptException("member " + manifest.getMember() + " already ended as "
                    + d.getStatus().configName() + " (" + manifestPath() + "); attempt " + manifest.getAttempts() + " stops");
        }
        manifest.mergeAttempts(d.getAttemptLog());
    }

    /**
     * Moves a listed snapshot that fails its checksum out of the way (snapshots/quarantine/), so it is never
     * loaded, and records it in the manifest; the manifest is written by the caller.
     */
    public void quarantine(MemberManifest manifest, SnapshotRecord bad) throws IOException {
        Path p = new Path(dir, bad.path());
        String actual = fs.exists(p) ? HadoopFiles.sha256(fs, p) : "missing";
        if (fs.exists(p)) {
            Path q = new Path(new Path(new Path(dir, SNAPSHOT_DIR), QUARANTINE), p.getName());
            fs.mkdirs(q.getParent());
            if (!fs.rename(p, q)) {
                throw new IOException("cannot move corrupt snapshot " + p + " to " + q);
            }
        }
        manifest.quarantine(bad, actual, java.time.Instant.now().toString());
        LOG.warn("member {}: snapshot {} has SHA-256 {} but {} was recorded; quarantined", manifest.getMember(),
                bad.path(), actual, bad.sha256());
    }

    /** Whether the snapshot's bytes still hash to what the manifest recorded. */
    public boolean verify(SnapshotRecord record) throws IOException {
        Path p = new Path(dir, record.path());
        return fs.exists(p) && HadoopFiles.sha256(fs, p).equals(record.sha256());
    }

    /**
     * Loads a committed snapshot after checking its SHA-256 against the manifest, through
     * {@link SafeModels#restore}.
     *
     * @throws SnapshotCorruptException if the file is missing or its checksum differs
     * @throws UnsafeModelException     if the zip holds entries Chorus does not write
     */
    public ComputationGraph load(SnapshotRecord record, boolean withUpdater) throws IOException {
        Path p = new Path(dir, record.path());
        byte[] bytes = fs.exists(p) ? HadoopFiles.readAll(fs, p) : null;
        if (bytes == null) {
            throw new SnapshotCorruptException("snapshot " + p + " is listed in " + manifestPath() + " but missing");
        }
        String actual = HadoopFiles.sha256(bytes);
        if (!actual.equals(record.sha256())) {
            throw new SnapshotCorruptException("snapshot " + p + " has SHA-256 " + actual + " but " + manifestPath()
                    + " recorded " + record.sha256());
        }
        return SafeModels.restore(bytes, withUpdater, p.toString());
    }

    /**
     * Checks every listed snapshot, quarantines those whose checksum fails (see {@link #quarantine}) and
     * returns the newest one that verifies. The caller writes the manifest.
     */
    public Optional<SnapshotRecord> quarantineCorrupt(MemberManifest manifest) throws IOException {
        for (SnapshotRecord s : List.copyOf(manifest.getSnapshots())) {
            if (!verify(s)) {
                quarantine(manifest, s);
            }
        }
        return manifest.lastSnapshot();
    }

    /** The newest snapshot whose checksum verifies; corrupt ones are reported and skipped. */
    public Optional<SnapshotRecord> lastVerified(MemberManifest manifest) throws IOException {
        List<SnapshotRecord> all = manifest.getSnapshots();
        for (int i = all.size() - 1; i >= 0; i--) {
            SnapshotRecord s = all.get(i);
            if (verify(s)) {
                return Optional.of(s);
            }
            LOG.warn("member {}: snapshot {} fails its checksum; not used", manifest.getMember(), s.path());
        }
        return Optional.empty();
    }
}
