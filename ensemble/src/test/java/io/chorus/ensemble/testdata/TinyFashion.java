package io.chorus.ensemble.testdata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;

import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

import io.chorus.worker.data.Augmentation;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import io.chorus.worker.zoo.WeightInitKind;

/**
 * Fashion-MNIST shrunk for fast tests: the first few thousand images, each 28x28 image averaged over
 * 2x2 blocks into 14x14. Loaded once per JVM ({@code scripts/get-data} puts the files in place when the
 * system-wide copy is missing).
 */
public final class TinyFashion {

    public static final String DIR = "/usr/share/datasets/fashion-mnist";
    public static final int CLASSES = 10;
    public static final ImageShape SHAPE = new ImageShape(14, 14, 1);
    private static final int MAX_TRAIN = 4000;
    private static final int MAX_TEST = 2000;

    private static ImageData train;
    private static ImageData test;
    private static Normalization normalization;

    private TinyFashion() {
    }

    /** The first {@code n} (at most 4,000) training images, 14x14. */
    public static synchronized ImageData train(int n) {
        if (train == null) {
            try {
                train = shrink(DataFiles.loadTrain(DIR, CLASSES, new Configuration()).limit(MAX_TRAIN));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return train.limit(n);
    }

    /** The first {@code n} (at most 2,000) test images, 14x14. */
    public static synchronized ImageData test(int n) {
        if (test == null) {
            try {
                test = shrink(DataFiles.loadTest(DIR, CLASSES, new Configuration()).limit(MAX_TEST));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return test.limit(n);
    }

    /** Normalization fitted on all 4,000 training images. */
    public static synchronized Normalization normalization() {
        if (normalization == null) {
            normalization = Normalization.fit(train(MAX_TRAIN));
        }
        return normalization;
    }

    /** A LeNet member spec: He init, ReLU. */
    public static ModelSpec lenet(boolean batchnorm, double dropout) {
        return new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0.01, ActivationKind.RELU, batchnorm, dropout, 1,
                8, BlockKind.BASIC);
    }

    /** A small VGG member spec: one 3x3 convolution per stage (widths 4, 8, 16), dense 256. */
    public static ModelSpec vgg(boolean batchnorm, double dropout) {
        return new ModelSpec(Architecture.VGG, WeightInitKind.HE, 0.01, ActivationKind.RELU, batchnorm, dropout, 1, 4,
                BlockKind.BASIC);
    }

    /** A small ResNet member spec: depth 1, width 4, basic blocks. */
    public static ModelSpec resnet(boolean batchnorm, double dropout) {
        return new ModelSpec(Architecture.RESNET, WeightInitKind.HE, 0.01, ActivationKind.RELU, batchnorm, dropout, 1,
                4, BlockKind.BASIC);
    }

    /** Unaugmented batches of {@code data} for one epoch, in an order drawn from {@code seed}. */
    public static Iterator<DataSet> epoch(ImageData data, int batch, long seed, int epoch) {
        return new BatchSource(data, normalization(), batch, Augmentation.NONE, false, seed).epoch(epoch, 0);
    }

    /**
     * Builds a member with the zoo and trains it {@code epochs} epochs on {@code data}, ND4J's generator
     * seeded from the seed and iteration before each step.
     */
    public static ComputationGraph trainMember(ModelSpec spec, long seed, IUpdater updater, ImageData data,
                                               int batch, int epochs) {
        ComputationGraph net = ModelZoo.build(spec, SHAPE, CLASSES, seed, updater, 5e-4);
        for (int e = 0; e < epochs; e++) {
            fitEpoch(net, data, batch, seed, e);
        }
        return net;
    }

    /** One more epoch of training for {@code net}. */
    public static void fitEpoch(ComputationGraph net, ImageData data, int batch, long seed, int epoch) {
        Iterator<DataSet> it = epoch(data, batch, seed, epoch);
        while (it.hasNext()) {
            Nd4j.getRandom().setSeed(seed * 31 + net.getIterationCount());
            net.fit(it.next());
        }
    }

    /** All of {@code data}, normalized, as one batch. */
    public static DataSet all(ImageData data) {
        return BatchSource.toDataSet(data, normalization(), 0, data.size());
    }

    /** 2x2 average pooling of the raw bytes, rounded to nearest. */
    static ImageData shrink(ImageData data) {
        ImageShape in = data.shape();
        int h = in.height() / 2;
        int w = in.width() / 2;
        ImageShape out = new ImageShape(h, w, in.channels());
        byte[] src = data.pixels();
        byte[] dst = new byte[data.size() * out.pixels()];
        for (int i = 0; i < data.size(); i++) {
            for (int c = 0; c < in.channels(); c++) {
                int s = i * in.pixels() + c * in.height() * in.width();
                int d = i * out.pixels() + c * h * w;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int sum = (src[s + 2 * y * in.width() + 2 * x] & 0xFF)
                                + (src[s + 2 * y * in.width() + 2 * x + 1] & 0xFF)
                                + (src[s + (2 * y + 1) * in.width() + 2 * x] & 0xFF)
                                + (src[s + (2 * y + 1) * in.width() + 2 * x + 1] & 0xFF);
                        dst[d + y * w + x] = (byte) ((sum + 2) / 4);
                    }
                }
            }
        }
        return new ImageData(out, dst, data.labels().clone(), data.numClasses());
    }
}
