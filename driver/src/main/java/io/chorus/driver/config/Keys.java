package io.chorus.driver.config;

import static io.chorus.driver.config.ConfigKey.anyLong;
import static io.chorus.driver.config.ConfigKey.bool;
import static io.chorus.driver.config.ConfigKey.doubleIn;
import static io.chorus.driver.config.ConfigKey.intIn;
import static io.chorus.driver.config.ConfigKey.nonBlank;
import static io.chorus.driver.config.ConfigKey.oneOf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import io.chorus.worker.train.EngineChoice;
import io.chorus.worker.train.OptimizerKind;
import io.chorus.worker.train.schedule.ScheduleKind;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.WeightInitKind;

/**
 * Every key a job configuration may hold, in the order a resolved configuration is written. The names
 * are a contract with users' YAML files and {@code --set} overrides: add keys, never rename them.
 */
public final class Keys {
    private static final int MAX = Integer.MAX_VALUE;
    private static final Map<String, ConfigKey<?>> ALL = new LinkedHashMap<>();

    public static final ConfigKey<Integer> MEMBERS = key("members", "ensemble members, each trained in its own task: a count, or a list with one mapping of per-member keys for each member ({} for none; see Keys.perMember)", 5, intIn(1, 1000));
    public static final ConfigKey<Integer> MIN_MEMBERS = key("min_members", "members that must finish for the job to count: fewer is a failure (exit 1), at least this many but not all is partial (exit 3)", 1, intIn(1, 1000));
    public static final ConfigKey<Long> SEED = key("seed", "job seed; every member's seed is drawn from it before any member starts", 42L, anyLong());

    public static final ConfigKey<String> DATA_DIR = key("data.dir", "directory (any Hadoop URI) with the IDX files train-images-idx3-ubyte[.gz] etc.; a missing local path falls back to ./data", null, nonBlank());
    public static final ConfigKey<Integer> DATA_CLASSES = key("data.classes", "number of classes; labels must lie in [0, classes)", 10, intIn(2, 65536));
    public static final ConfigKey<Integer> DATA_LIMIT = key("data.limit", "use only the first N training examples (0 = all)", 0, intIn(0, MAX));
    public static final ConfigKey<Integer> DATA_VALIDATION = key("data.validation", "training examples held out, by the job seed, for validation (at least 1)", 5000,
            intIn(1, MAX, "the validation split is what each epoch's metrics, the fitted ensemble weights (ensemble.weights: fit), "
                    + "greedy selection over the snapshots and the choice of the best member are computed on"));
    public static final ConfigKey<Integer> DATA_SHIFT = key("data.augment.shift", "random shift of up to N pixels in each direction (0 = off)", 0, intIn(0, 64));
    public static final ConfigKey<Boolean> DATA_FLIP = key("data.augment.flip", "random horizontal flip", false, bool());
    public static final ConfigKey<Integer> DATA_CROP_PADDING = key("data.augment.crop_padding", "random crop: pad N pixels of raw 0 on every side and crop back to the original size at a random offset (0 = off)", 0, intIn(0, 64));
    public static final ConfigKey<Double> DATA_ERASE = key("data.augment.erase", "random erasing (Zhong et al. 2017): probability that a training image has one rectangle overwritten (0 = off)", 0.0, doubleIn(0, false, 1, false));
    public static final ConfigKey<String> DATA_ERASE_AREA = key("data.augment.erase_area", "random erasing: min,max fraction of the image's area", "0.02,0.4", ErasingSetting.range(0, 1, "fractions of the image's area"));
    public static final ConfigKey<String> DATA_ERASE_ASPECT = key("data.augment.erase_aspect", "random erasing: min,max of the rectangle's height/width", "0.3,3.3", ErasingSetting.range(0, 100, "height over width"));
    public static final ConfigKey<String> DATA_ERASE_FILL = key("data.augment.erase_fill", "random erasing: the raw pixel value 0..255 written, or noise (uniform random values)", "0", ErasingSetting.fill());
    public static final ConfigKey<Boolean> DATA_BOOTSTRAP = key("data.bootstrap", "resample the training examples with replacement per member (bagging)", false, bool());

    public static final ConfigKey<Architecture> MODEL_ARCH = key("model.arch", "network: lenet, alexnet, vgg, googlenet, resnet", Architecture.LENET, oneOf(Architecture.class));
    public static final ConfigKey<WeightInitKind> MODEL_INIT = key("model.init", "weight initialization: xavier, he, normal", WeightInitKind.HE, oneOf(WeightInitKind.class));
    public static final ConfigKey<Double> MODEL_INIT_SIGMA = key("model.init_sigma", "standard deviation of model.init = normal", 0.01, doubleIn(0, true, Double.MAX_VALUE, false));
    public static final ConfigKey<ActivationKind> MODEL_ACTIVATION = key("model.activation", "hidden nonlinearity: relu, leakyrelu, elu", ActivationKind.RELU, oneOf(ActivationKind.class));
    public static final ConfigKey<Boolean> MODEL_BATCHNORM = key("model.batchnorm", "batch normalization after every convolution", false, bool());
    public static final ConfigKey<Double> MODEL_DROPOUT = key("model.dropout", "probability of dropping a unit before each fully connected layer (0 = off)", 0.0, doubleIn(0, false, 1, true));
    public static final ConfigKey<Integer> MODEL_DEPTH = key("model.depth", "convolutions per VGG stage, blocks per ResNet stage, inception modules per GoogLeNet stage", 2, intIn(1, 64));
    public static final ConfigKey<Integer> MODEL_WIDTH = key("model.width", "channels of the first stage (all but lenet)", 16, intIn(1, 4096));
    public static final ConfigKey<BlockKind> MODEL_BLOCK = key("model.block", "ResNet block: basic, bottleneck", BlockKind.BASIC, oneOf(BlockKind.class));

    public static final ConfigKey<Integer> TRAIN_EPOCHS = key("train.epochs", "passes over the training examples", 10, intIn(1, 100000));
    public static final ConfigKey<Integer> TRAIN_BATCH = key("train.batch", "minibatch size", 64, intIn(1, 1 << 20));
    public static final ConfigKey<OptimizerKind> TRAIN_OPTIMIZER = key("train.optimizer", "sgd (Nesterov momentum) or adam", OptimizerKind.SGD, oneOf(OptimizerKind.class));
    public static final ConfigKey<Double> TRAIN_LR = key("train.lr", "initial learning rate", 0.01, doubleIn(0, true, 10, false));
    public static final ConfigKey<Double> TRAIN_MOMENTUM = key("train.momentum", "Nesterov momentum of sgd", 0.9, doubleIn(0, false, 1, true));
    public static final ConfigKey<Double> TRAIN_WEIGHT_DECAY = key("train.weight_decay", "L2 penalty on weights", 5e-4, doubleIn(0, false, 1, false));
    public static final ConfigKey<ScheduleKind> TRAIN_SCHEDULE = key("train.schedule", "learning-rate schedule: constant, step, cosine, cyclic (snapshot ensembles), swa (cosine held constant from swa.start on, the tail SWA averages over)", ScheduleKind.COSINE, oneOf(ScheduleKind.class));
    public static final ConfigKey<Integer> TRAIN_CYCLES = key("train.cycles", "cycles of the cyclic schedule; a snapshot ends each", 1, intIn(1, 100000));
    public static final ConfigKey<Integer> TRAIN_STEP_EPOCHS = key("train.step_epochs", "epochs between decays of the step schedule", 10, intIn(1, 100000));
    public static final ConfigKey<Double> TRAIN_STEP_GAMMA = key("train.step_gamma", "decay factor of the step schedule", 0.1, doubleIn(0, true, 1, false));
    public static final ConfigKey<Integer> TRAIN_THREADS = key("train.threads", "ND4J threads per member", 1, intIn(1, 1024));
    public static final ConfigKey<EngineChoice> TRAIN_ENGINE = key("train.engine", "what runs the training updates: onednn (Chorus's oneDNN engine, CPU), dl4j (DL4J's own path), auto (onednn on the CPU, dl4j on a GPU); a network onednn cannot compile trains on dl4j", EngineChoice.AUTO, oneOf(EngineChoice.class));
    public static final ConfigKey<Integer> TRAIN_REPLICAS = key("train.replicas", "data-parallel replicas of each member: 1 trains a member in one task; K > 1 trains it over K Spark tasks at once with dl4j-spark's parameter averaging (DL4J's path), its snapshots as one trajectory", 1, intIn(1, 1024));
    public static final ConfigKey<Integer> TRAIN_AVERAGING_EVERY = key("train.averaging_every", "with train.replicas > 1: minibatches each replica trains between two parameter (and optimizer-state) averagings", 5, intIn(1, 100000));
    public static final ConfigKey<Integer> TRAIN_GPUS = key("train.gpus_per_member", "GPUs each member's task asks Spark for (spark.task.resource.gpu.amount; needs a cluster master and the CUDA build, -Pcuda)", 0, intIn(0, 64));

    public static final ConfigKey<Integer> SNAPSHOTS_EVERY = key("snapshots.every", "a snapshot every N epochs (0 = only cycle ends, SWA points and the final one)", 1, intIn(0, 100000));
    public static final ConfigKey<Double> SWA_START = key("swa.start", "fraction of training after which SWA collection begins", 0.75, doubleIn(0, false, 1, false));
    public static final ConfigKey<Integer> SWA_EVERY = key("swa.every", "epochs between SWA collection points (0 = off)", 0, intIn(0, 100000));

    public static final ConfigKey<Boolean> COMPARE_SINGLE_BUDGET = key("compare.single_budget", "also train one reference model of the base configuration for the ensemble's whole budget (the members' epochs summed), in a task of its own, so that the ensemble is compared with a single model of the same training cost", false, bool());
    public static final ConfigKey<ScheduleKind> COMPARE_SINGLE_SCHEDULE = key("compare.single_schedule", "learning-rate schedule of that reference model: cosine (one annealing over the whole budget), step, constant, or cyclic (train.cycles per member's worth of epochs, the snapshot ensemble of one run at the ensemble's budget)", ScheduleKind.COSINE, oneOf(ScheduleKind.class));

    public static final ConfigKey<Boolean> EVALUATE_ENABLED = key("evaluate.enabled", "evaluate the run (chorus evaluate) at the end of chorus train", true, bool());
    public static final ConfigKey<Boolean> REPORT_ENABLED = key("report.enabled", "write the offline report (chorus report: report/index.html, report/metrics.csv) at the end of chorus train", true, bool());
    public static final ConfigKey<Integer> EVALUATE_BATCH = key("evaluate.batch", "images per forward pass when computing class probabilities", 500, intIn(1, 1 << 20));
    public static final ConfigKey<Integer> EVALUATE_TEST_LIMIT = key("evaluate.test_limit", "evaluate on the first N test examples only (0 = all)", 0, intIn(0, MAX));
    public static final ConfigKey<Integer> EVALUATE_TASKS = key("evaluate.tasks", "Spark tasks the evaluation images are split into (0 = two per slot)", 0, intIn(0, 100000));
    public static final ConfigKey<Boolean> EVALUATE_SHIFT = key("evaluate.shift", "also score the first evaluate.shift_limit test images under each corruption of evaluate.shift_kinds at severities 1..5 (dataset shift), for the members, SWA models, heads and the best member's snapshot ensemble", false, bool());
    public static final ConfigKey<Integer> EVALUATE_SHIFT_LIMIT = key("evaluate.shift_limit", "test images scored under dataset shift (0 = every evaluated test image)", 1000, intIn(0, MAX));
    public static final ConfigKey<String> EVALUATE_SHIFT_KINDS = key("evaluate.shift_kinds", "corruptions of the dataset-shift evaluation, comma-separated: " + ShiftKindsSetting.ALL.replace(",", ", "), ShiftKindsSetting.ALL, ShiftKindsSetting.parser());
    public static final ConfigKey<String> ENSEMBLE_WEIGHTS = key("ensemble.weights", "weights of the weighted average: fit (on the validation split) or one comma-separated weight per member, non-negative, summing to 1", "fit", nonBlank());
    public static final ConfigKey<Integer> ENSEMBLE_SNAPSHOT_LAST = key("ensemble.snapshot_last", "snapshot ensemble: the last N snapshots of one trajectory", 5, intIn(1, 100000));
    public static final ConfigKey<Integer> ENSEMBLE_SELECTION_ROUNDS = key("ensemble.selection_rounds", "greedy selection with replacement over all snapshots: rounds", 20, intIn(1, 100000));
    public static final ConfigKey<Boolean> ENSEMBLE_CROSS_AVERAGE = key("ensemble.cross_average", "also average parameters ACROSS members, only to show that it fails (permutation symmetry)", false, bool());
    public static final ConfigKey<Integer> HEADS_COUNT = key("heads.count", "FC-head-only ensemble: classifier heads trained on one frozen backbone (0 = off)", 0, intIn(0, 1000));
    public static final ConfigKey<Integer> HEADS_BACKBONE = key("heads.backbone", "member whose convolutional backbone the heads share", 0, intIn(0, 999));
    public static final ConfigKey<Integer> HEADS_EPOCHS = key("heads.epochs", "epochs of each head over the backbone's features", 5, intIn(1, 100000));
    public static final ConfigKey<Integer> HEADS_LAYERS = key("heads.layers", "hidden fully connected layers of each head (0 = softmax regression)", 1, intIn(0, 16));
    public static final ConfigKey<Integer> HEADS_HIDDEN = key("heads.hidden", "units of each hidden layer of a head", 256, intIn(1, 1 << 16));
    public static final ConfigKey<Boolean> HEADS_BOOTSTRAP = key("heads.bootstrap", "train each head on its own bootstrap sample", false, bool());
    public static final ConfigKey<Integer> MC_DROPOUT_PASSES = key("mc_dropout.passes", "MC dropout: stochastic passes of the best member with dropout on (0 = off; needs model.dropout > 0)", 0, intIn(0, 10000));

    /**
     * Key prefixes that say how a trained run is evaluated and reported, never how its members were trained:
     * {@code chorus evaluate --set} may change them, and so may a resume.
     */
    public static final List<String> EVALUATION_PREFIXES = List.of("evaluate.", "report.", "ensemble.", "heads.", "mc_dropout.");
    /** What a resume may change: the evaluation's keys, and how many finished members make the run count. */
    public static final List<String> MAY_CHANGE_ON_RESUME = List.of("evaluate.", "report.", "ensemble.", "heads.",
            "mc_dropout.", "min_members");

    /** Whether a resume may give {@code key} another value than the run was started with. */
    public static boolean mayChangeOnResume(String key) {
        return MAY_CHANGE_ON_RESUME.stream().anyMatch(p -> p.endsWith(".") ? key.startsWith(p) : key.equals(p));
    }

    /** Keys a member may not set for itself: what its task is given to run on, and the schedule keys that tie members together. */
    private static final List<String> SHARED = List.of("train.threads", "train.engine", "train.gpus_per_member");

    /**
     * Whether one member of a {@code members: [...]} list may give {@code key} a value of its own: its seed, the
     * network (model.*), how it trains (train.* but the resources), its augmentation and bootstrap, its snapshot and
     * SWA points. Everything else (the data, the evaluation, the comparison) belongs to the whole job.
     */
    public static boolean perMember(String key) {
        if (SHARED.contains(key) || byName(key) == null) {
            return false;
        }
        return key.equals(SEED.name()) || key.equals(DATA_BOOTSTRAP.name()) || key.startsWith("model.")
                || key.startsWith("train.") || key.startsWith("data.augment.") || key.startsWith("snapshots.")
                || key.startsWith("swa.");
    }

    /** What {@link #perMember} allows, for messages. */
    public static final String PER_MEMBER = "seed, model.*, train.* (but " + String.join(", ", SHARED)
            + "), data.augment.*, data.bootstrap, snapshots.*, swa.*";

    private Keys() {
    }

    private static <T> ConfigKey<T> key(String name, String doc, T defaultValue, Function<Object, T> parser) {
        Function<T, Object> printer = v -> v instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : v;
        ConfigKey<T> k = new ConfigKey<>(name, doc, defaultValue, parser, printer);
        ALL.put(name, k);
        return k;
    }

    /** All keys, in declaration order. */
    public static List<ConfigKey<?>> all() {
        return Collections.unmodifiableList(new ArrayList<>(ALL.values()));
    }

    public static ConfigKey<?> byName(String name) {
        return ALL.get(name);
    }

    /** The keys of the section {@code name} ({@code data} holds data.dir, data.classes, ...); empty if it is none. */
    static List<String> inSection(String name) {
        return ALL.keySet().stream().filter(k -> k.startsWith(name + ".")).toList();
    }

    /** The known key closest to a misspelt one, for the error message; null if nothing is close. */
    static String closest(String unknown) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : ALL.keySet()) {
            int d = distance(unknown, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return bestDistance <= Math.max(2, unknown.length() / 3) ? best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
