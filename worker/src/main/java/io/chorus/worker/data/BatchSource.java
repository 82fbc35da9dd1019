package io.chorus.worker.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import io.chorus.worker.Seeds;

/**
 * The minibatches one ensemble member trains on: shuffled, optionally bootstrapped and augmented,
 * normalized, as ND4J {@link DataSet}s with features {@code [b, C, H, W]} and one-hot labels
 * {@code [b, numClasses]}, both {@code FLOAT}.
 *
 * <p>Every batch is a pure function of its coordinates. The example order of epoch {@code e} is a
 * permutation seeded by {@code (memberSeed, e)} only, and the augmentation of batch {@code k} of that
 * epoch is seeded by {@code (memberSeed, e, k)} only. So {@code epoch(e, k)} yields exactly the batches
 * that {@code epoch(e, 0)} yields after its first {@code k}, without building those {@code k}: a
 * member restarted from a snapshot taken after batch {@code k} continues bit for bit as if it had
 * never stopped, and the same configuration always trains the same member.
 *
 * <p>With {@code bootstrap}, the member trains on {@code n} examples drawn with replacement from the
 * {@code n} training examples (bagging), drawn once from {@code memberSeed}; each epoch then permutes
 * that same sample. Different member seeds thus give ensemble members different data as well as
 * different initializations.
 *
 * <p>Instances are immutable and may be shared between threads; each iterator is independent (but not
 * itself thread-safe). Building a batch fills one {@code float[]} and wraps it in one INDArray.
 */
public final class BatchSource {

    private static final long SALT_BOOTSTRAP = 0x424F4F54L; // "BOOT"
    private static final long SALT_PERMUTATION = 0x5045524DL; // "PERM"
    private static final long SALT_AUGMENTATION = 0x41554726L; // "AUG&"

    private final ImageData train;
    private final ImageShape shape;
    private final int batchSize;
    private final Augmentation aug;
    private final long memberSeed;
    /** Indices into {@code train} of the examples of every epoch, before the epoch's permutation. */
    private final int[] base;
    /** {@code table[c][p]}: normalized value of raw pixel {@code p} in channel {@code c}. */
    private final float[][] table;

    /**
     * @param train      training examples (not empty)
     * @param norm       normalization fitted on the training data, one entry per image channel
     * @param batchSize  examples per batch (the last batch of an epoch may be shorter)
     * @param aug        augmentation of training examples; {@link Augmentation#NONE} for none
     * @param bootstrap  train on a bootstrap sample (bagging) instead of the examples themselves
     * @param memberSeed seed of this member; determines sample, order and augmentation
     * @throws IllegalArgumentException if the data is empty, the batch size not positive, the
     *                                  normalization has the wrong number of channels, or the shift (plus the crop
     *                                  padding) is as large as the image
     */
    public BatchSource(ImageData train, Normalization norm, int batchSize, Augmentation aug, boolean bootstrap,
                       long memberSeed) {
        this.train = Objects.requireNonNull(train, "train");
        Objects.requireNonNull(norm, "norm");
        this.aug = Objects.requireNonNull(aug, "aug");
        if (train.size() == 0) {
            throw new IllegalArgumentException("cannot make batches from an empty training set");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.shape = train.shape();
        checkChannels(norm, shape);
        if (aug.maxShift() >= Math.min(shape.height(), shape.width())) {
            throw new IllegalArgumentException("maxShift " + aug.maxShift() + " could shift a " + shape
                    + " image entirely out of view; it must be smaller than its height and width");
        }
        if (aug.maxShift() + aug.cropPadding() >= Math.min(shape.height(), shape.width())) {
            throw new IllegalArgumentException("maxShift " + aug.maxShift() + " plus crop padding " + aug.cropPadding()
                    + " could shift a " + shape + " image entirely out of view; together they must be smaller than "
                    + "its height and width");
        }
        this.batchSize = batchSize;
        this.memberSeed = memberSeed;
        this.table = norm.lookupTable();
        int n = train.size();
        this.base = new int[n];
        if (bootstrap) {
            SplittableRandom random = new SplittableRandom(Seeds.mix(SALT_BOOTSTRAP, memberSeed));
            for (int i = 0; i < n; i++) {
                base[i] = random.nextInt(n);
            }
        } else {
            for (int i = 0; i < n; i++) {
                base[i] = i;
            }
        }
    }

    /** Batches per epoch: {@code ceil(examples() / batchSize)}; the last one may be short. */
    public int batchesPerEpoch() {
        return (base.length + batchSize - 1) / batchSize;
    }

    /** Examples per epoch: the training set size, with or without bootstrap. */
    public int examples() {
        return base.length;
    }

    /** Examples per full batch. */
    public int batchSize() {
        return batchSize;
    }

    /** Shape of every image. */
    public ImageShape shape() {
        return shape;
    }

    /** Number of classes, the width of the one-hot labels. */
    public int numClasses() {
        return train.numClasses();
    }

    /**
     * The batches of one epoch, starting with batch {@code fromBatch}, built lazily one per
     * {@code next()}.
     *
     * @param epoch     0-based epoch number
     * @param fromBatch first batch to yield, in {@code [0, batchesPerEpoch()]}; {@code batchesPerEpoch()}
     *                  gives an empty iterator (the epoch was already complete)
     * @throws IllegalArgumentException if {@code epoch} or {@code fromBatch} is out of range
     */
    public Iterator<DataSet> epoch(int epoch, int fromBatch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
        }
        int batches = batchesPerEpoch();
        if (fromBatch < 0 || fromBatch > batches) {
            throw new IllegalArgumentException("fromBatch " + fromBatch + " is outside [0," + batches
                    + "] for an epoch of " + batches + " batches");
        }
        int[] order = epochOrder(epoch);
        return new Iterator<>() {
            private int next = fromBatch;

            @Override
            public boolean hasNext() {
                return next < batches;
            }

            @Override
            public DataSet next() {
                if (next >= batches) {
                    throw new NoSuchElementException("epoch " + epoch + " has only " + batches + " batches");
                }
                int k = next++;
                return buildBatch(order, epoch, k);
            }
        };
    }

    /**
     * Unaugmented, normalized examples {@code [from, to)} of {@code data}, in order, for evaluation.
     *
     * @throws IllegalArgumentException if the range is empty or outside the data, or the normalization
     *                                  has the wrong number of channels
     */
    public static DataSet toDataSet(ImageData data, Normalization norm, int from, int to) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(norm, "norm");
        if (from < 0 || to > data.size() || from >= to) {
            throw new IllegalArgumentException("example range [" + from + "," + to + ") is empty or outside [0,"
                    + data.size() + ")");
        }
        ImageShape shape = data.shape();
        checkChannels(norm, shape);
        float[][] table = norm.lookupTable();
        int b = to - from;
        int per = shape.pixels();
        float[] features = new float[b * per];
        float[] labels = new float[b * data.numClasses()];
        byte[] pixels = data.pixels();
        int plane = shape.height() * shape.width();
        for (int j = 0; j < b; j++) {
            int src = (from + j) * per;
            int dst = j * per;
            for (int c = 0; c < shape.channels(); c++) {
                float[] t = table[c];
                for (int p = 0; p < plane; p++) {
                    features[dst + c * plane + p] = t[pixels[src + c * plane + p] & 0xFF];
                }
            }
            labels[j * data.numClasses() + data.labels()[from + j]] = 1f;
        }
        return wrap(features, labels, b, shape, data.numClasses());
    }

    /** Indices into {@code train} of the examples of {@code epoch}, in training order. */
    private int[] epochOrder(int epoch) {
        int[] order = base.clone();
        SplittableRandom random = new SplittableRandom(Seeds.mix(SALT_PERMUTATION, memberSeed, epoch));
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private DataSet buildBatch(int[] order, int epoch, int batch) {
        int from = batch * batchSize;
        int to = Math.min(from + batchSize, order.length);
        int b = to - from;
        int per = shape.pixels();
        int numClasses = train.numClasses();
        float[] features = new float[b * per];
        float[] labels = new float[b * numClasses];
        byte[] pixels = train.pixels();
        int[] trainLabels = train.labels();
        SplittableRandom random = aug.enabled()
                ? new SplittableRandom(Seeds.mix(SALT_AUGMENTATION, memberSeed, epoch, batch))
                : null;
        int m = aug.maxShift();
        for (int j = 0; j < b; j++) {
            int example = order[from + j];
            int dy = 0;
            int dx = 0;
            boolean flip = false;
            if (random != null) {
                if (m > 0) {
                    dy = random.nextInt(-m, m + 1);
                    dx = random.nextInt(-m, m + 1);
                }
                flip = aug.flip() && random.nextBoolean();
                int p = aug.cropPadding();
                if (p > 0) {
                    // Pad by p, crop at offset o in [0, 2p]: out(y) = padded(y + o) = in(y + o - p).
                    dy += p - random.nextInt(2 * p + 1);
                    dx += p - random.nextInt(2 * p + 1);
                }
            }
            render(pixels, example * per, shape, table, dy, dx, flip, features, j * per);
            if (random != null) {
                aug.erase().apply(features, j * per, shape, table, random);
            }
            labels[j * numClasses + trainLabels[example]] = 1f;
        }
        return wrap(features, labels, b, shape, numClasses);
    }

    /**
     * Writes one normalized image into {@code dst}: {@code out(c, y, x) = in'(c, y - dy, x - dx)}, where
     * {@code in'} is the source mirrored left-right if {@code flip} (else the source itself), and raw 0
     * outside the image.
     */
    static void render(byte[] src, int srcOff, ImageShape shape, float[][] table, int dy, int dx, boolean flip,
                       float[] dst, int dstOff) {
        int h = shape.height();
        int w = shape.width();
        int plane = h * w;
        for (int c = 0; c < shape.channels(); c++) {
            float[] t = table[c];
            float zero = t[0];
            int srcPlane = srcOff + c * plane;
            int dstPlane = dstOff + c * plane;
            for (int y = 0; y < h; y++) {
                int sy = y - dy;
                int row = dstPlane + y * w;
                if (sy < 0 || sy >= h) {
                    java.util.Arrays.fill(dst, row, row + w, zero);
                    continue;
                }
                int srcRow = srcPlane + sy * w;
                for (int x = 0; x < w; x++) {
                    int sx = x - dx;
                    if (sx < 0 || sx >= w) {
                        dst[row + x] = zero;
                    } else {
                        dst[row + x] = t[src[srcRow + (flip ? w - 1 - sx : sx)] & 0xFF];
                    }
                }
            }
        }
    }

    private static DataSet wrap(float[] features, float[] labels, int b, ImageShape shape, int numClasses) {
        INDArray f = Nd4j.create(features, new long[] {b, shape.channels(), shape.height(), shape.width()}, 'c');
        INDArray l = Nd4j.create(labels, new long[] {b, numClasses}, 'c');
        return new DataSet(f, l);
    }

    private static void checkChannels(Normalization norm, ImageShape shape) {
        if (norm.channels() != shape.channels()) {
            throw new IllegalArgumentException("normalization has " + norm.channels() + " channel(s) but the "
                    + shape + " images have " + shape.channels());
        }
    }
}
