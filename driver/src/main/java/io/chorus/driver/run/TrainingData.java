package io.chorus.driver.run;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.worker.data.DataChecks;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.DataFormatException;
import io.chorus.worker.data.IdxReader;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.DataSpec;
import io.chorus.worker.train.PreparedData;

/**
 * The raw bytes of the training IDX files, read once on the driver and broadcast, so each executor JVM
 * receives them once (not once per task) and needs no access to the data directory. Executors parse and
 * prepare them once per JVM and share the result between the members they run.
 *
 * @param files       the files' URIs and SHA-256 fingerprints, in order images, labels
 * @param imageBytes  the images file as stored (gzip or raw)
 * @param labelBytes  the labels file as stored
 */
public record TrainingData(List<DataFile> files, byte[] imageBytes, byte[] labelBytes) implements Serializable {

    /** A data file and its fingerprint, as run.json records it. */
    public record DataFile(String path, String sha256, long bytes) implements Serializable {
    }

    private static final Map<String, PreparedData> PREPARED = new ConcurrentHashMap<>();

    /** Reads the training files of {@code dir} on the driver. */
    public static TrainingData read(String dir, Configuration conf) throws IOException {
        List<String> uris = DataFiles.trainFiles(dir, conf);
        byte[][] bytes = new byte[2][];
        List<DataFile> files = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path p = new Path(uris.get(i));
            FileSystem fs = p.getFileSystem(conf);
            bytes[i] = HadoopFiles.readAll(fs, p);
            files.add(new DataFile(p.toString(), HadoopFiles.sha256(bytes[i]), bytes[i].length));
        }
        return new TrainingData(List.copyOf(files), bytes[0], bytes[1]);
    }

    /** The training files among {@code files} (by their DataFiles names), as if read from {@code dir}. */
    public static TrainingData of(Path dir, Map<String, byte[]> files) throws java.io.FileNotFoundException {
        List<byte[]> bytes = new ArrayList<>();
        for (String name : List.of(DataFiles.TRAIN_IMAGES, DataFiles.TRAIN_LABELS)) {
            byte[] b = files.get(name);
            if (b == null) {
                throw new java.io.FileNotFoundException(new Path(dir, name) + " is not among the data given");
            }
            bytes.add(b);
        }
        return new TrainingData(fingerprint(dir, files, List.of(DataFiles.TRAIN_IMAGES, DataFiles.TRAIN_LABELS)),
                bytes.get(0), bytes.get(1));
    }

    /** Fingerprints of {@code names} among {@code files}, as if they were in {@code dir}. */
    public static List<DataFile> fingerprint(Path dir, Map<String, byte[]> files, List<String> names) {
        List<DataFile> out = new ArrayList<>();
        for (String name : names) {
            byte[] b = files.get(name);
            if (b != null) {
                out.add(new DataFile(new Path(dir, name).toString(), HadoopFiles.sha256(b), b.length));
            }
        }
        return List.copyOf(out);
    }

    /** Fingerprints of files, read through the Hadoop API (the test files, say), as {@link DataFile}s. */
    public static List<DataFile> fingerprint(List<String> uris, Configuration conf) throws IOException {
        List<DataFile> out = new ArrayList<>();
        for (String uri : uris) {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            out.add(new DataFile(p.toString(), HadoopFiles.sha256(fs, p), fs.getFileStatus(p).getLen()));
        }
        return out;
    }

    /** Parses the bytes (validated as any IDX file, and as images large enough to train on) into images. */
    public ImageData parse(int classes) throws IOException {
        ImageData images = IdxReader.read(new ByteArrayInputStream(imageBytes), files.get(0).path(),
                new ByteArrayInputStream(labelBytes), files.get(1).path(), classes);
        DataChecks.requireTrainable(files.get(0).path(), images.shape());
        return images;
    }

    /**
     * Validates the test split as the training split is validated, on the driver before anything starts (not
     * only when the evaluation reads it after all the training): well-formed IDX files, every label in
     * [0, classes), and images of the training images' height, width and channels.
     *
     * @param testFiles  the test images and labels, in that order
     * @param trainShape the shape of the training images (of {@link #parse})
     */
    public void checkTest(List<DataFile> testFiles, ImageShape trainShape, int classes, Configuration conf)
            throws IOException {
        ImageData test = IdxReader.read(testFiles.get(0).path(), testFiles.get(1).path(), classes, conf);
        requireTrainingShape(testFiles.get(0).path(), test.shape(), trainShape);
    }

    /** Refuses test images of {@code testImages} whose shape is not the training images' one. */
    public void requireTrainingShape(String testImages, ImageShape testShape, ImageShape trainShape)
            throws DataFormatException {
        DataChecks.requireShape(testImages, testShape, trainShape, "the training images (" + files.get(0).path() + ") are");
    }

    /**
     * The prepared data of a job in this JVM, built on first use and shared by every member that runs here
     * afterwards. Keyed by the data's fingerprint and everything that shapes the split.
     */
    public PreparedData prepared(DataSpec spec, long jobSeed) throws IOException {
        String key = files.get(0).sha256() + "/" + files.get(1).sha256() + "/" + spec.classes() + "/" + spec.limit()
                + "/" + spec.validation() + "/" + jobSeed;
        PreparedData cached = PREPARED.get(key);
        if (cached != null) {
            return cached;
        }
        synchronized (PREPARED) {
            cached = PREPARED.get(key);
            if (cached == null) {
                cached = PreparedData.prepare(parse(spec.classes()), spec, jobSeed);
                PREPARED.clear(); // one job's data at a time: a long-lived executor does not pile them up
                PREPARED.put(key, cached);
            }
            return cached;
        }
    }
}
