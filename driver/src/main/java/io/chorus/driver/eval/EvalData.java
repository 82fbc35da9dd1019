package io.chorus.driver.eval;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import io.chorus.driver.run.TrainingData;
import io.chorus.worker.data.DataChecks;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.IdxReader;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.DataSpec;
import io.chorus.worker.train.PreparedData;

/**
 * Everything evaluation tasks read, sent once per executor JVM: the training files (for the validation
 * split, batch-norm statistics and head training, carved exactly as during training by the job seed)
 * and the test files, as raw IDX bytes.
 */
public record EvalData(TrainingData train, List<TrainingData.DataFile> testFiles, byte[] testImages, byte[] testLabels,
                       DataSpec spec, long jobSeed, int testLimit) implements Serializable {

    private static volatile Object[] testCache;

    /**
     * Reads the data directory on the driver and validates it there, before any task starts: the training and
     * test files as {@link TrainingData} does, and every image of the shape the run was trained on.
     *
     * @param trained the shape of the images the run's members were trained on, or null if none is recorded
     */
    public static EvalData read(DataSpec spec, long jobSeed, int testLimit, ImageShape trained, Configuration conf)
            throws IOException {
        TrainingData train = TrainingData.read(spec.dir(), conf);
        List<String> uris = DataFiles.testFiles(spec.dir(), conf);
        byte[][] bytes = new byte[2][];
        for (int i = 0; i < 2; i++) {
            Path p = new Path(uris.get(i));
            bytes[i] = HadoopFiles.readAll(p.getFileSystem(conf), p);
        }
        List<TrainingData.DataFile> files = List.of(
                new TrainingData.DataFile(uris.get(0), HadoopFiles.sha256(bytes[0]), bytes[0].length),
                new TrainingData.DataFile(uris.get(1), HadoopFiles.sha256(bytes[1]), bytes[1].length));
        EvalData data = new EvalData(train, files, bytes[0], bytes[1], spec, jobSeed, testLimit);
        data.check(trained);
        return data;
    }

    /** The images' shapes: the test images the training images', all of them the run's (if known). */
    private void check(ImageShape trained) throws IOException {
        ImageShape trainShape = prepared().shape();
        ImageShape testShape = test().shape();
        if (trained == null) {
            train.requireTrainingShape(testFiles.get(0).path(), testShape, trainShape);
            return;
        }
        String trainedOn = "the run was trained on";
        DataChecks.requireShape(train.files().get(0).path(), trainShape, trained, trainedOn);
        DataChecks.requireShape(testFiles.get(0).path(), testShape, trained, trainedOn);
    }

    /** Training and validation splits, as the members saw them; parsed once per JVM. */
    public PreparedData prepared() throws IOException {
        return train.prepared(spec, jobSeed);
    }

    /** The test split (its first {@code testLimit} examples if that is positive); parsed once per JVM. */
    public ImageData test() throws IOException {
        String key = testFiles.get(0).sha256() + "/" + testFiles.get(1).sha256() + "/" + spec.classes() + "/" + testLimit;
        Object[] cached = testCache;
        if (cached != null && cached[0].equals(key)) {
            return (ImageData) cached[1];
        }
        ImageData test = IdxReader.read(new ByteArrayInputStream(testImages), testFiles.get(0).path(),
                new ByteArrayInputStream(testLabels), testFiles.get(1).path(), spec.classes());
        if (testLimit > 0 && testLimit < test.size()) {
            test = test.limit(testLimit);
        }
        testCache = new Object[] {key, test};
        return test;
    }

    /** The examples of a split by name: {@value Split#TEST} or {@value Split#VALIDATION}. */
    public ImageData split(String name) throws IOException {
        return switch (name) {
            case Split.TEST -> test();
            case Split.VALIDATION -> prepared().validation();
            default -> throw new IllegalArgumentException("unknown split " + name);
        };
    }

    /** Names of the evaluation splits. */
    public static final class Split {
        public static final String TEST = "test";
        public static final String VALIDATION = "validation";

        private Split() {
        }
    }
}
