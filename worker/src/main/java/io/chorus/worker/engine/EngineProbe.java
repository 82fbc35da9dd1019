package io.chorus.worker.engine;

import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.engine.onednn.OneDnnNetwork;
import io.chorus.worker.train.NativeThreads;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.FlopCount;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import io.chorus.worker.zoo.WeightInitKind;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Nesterovs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures the engine alone: training and inference throughput of one network in this JVM, with the
 * knobs DL4J offers (workspace mode, cache mode, batch size, threads), on real Fashion-MNIST images
 * prepared before the clock starts. Used by {@code bench/engine-knobs} and {@code bench/vs-pytorch}.
 *
 * <pre>
 * java -cp ... io.chorus.worker.engine.EngineProbe --arch ARCH [--batch 64] [--images 6400]
 *      [--infer-batch 500] [--workspace ENABLED|NONE] [--cache NONE|HOST|DEVICE] [--threads 1]
 *      (without --workspace and --cache: the model zoo's settings, as members train)
 *      [--path dl4j|onednn] [--data DIR] [--skip-training] [--skip-inference]
 * </pre>
 * ARCH: {@code lenet} and {@code resnet} (the benchmark networks), or any of {@link #ZOO}.
 * {@code --path dl4j} (the default) runs DL4J's own layers; {@code --path onednn} Chorus's oneDNN engine
 * ({@link OneDnnNetwork}: training steps with Nesterov at the same learning rate, inference plans).
 * Prints one JSON line: images/s and GFLOP/s of training (one pass, after 10 warm-up batches) and of
 * inference (three passes over the images after an untimed one; on the engine the plan is built before,
 * in {@code plan_build_ms}), the first training step's time ({@code first_step_ms}: the training plan's
 * build on the engine), the engine's activation arena, and the process's resident memory
 * ({@code rss_mb} now, {@code peak_rss_mb} its high-water mark) at the end.
 */
public final class EngineProbe {
    private static final int WARMUP_BATCHES = 10;
    /** Timed passes over the images at inference, after one untimed pass. */
    private static final int INFERENCE_PASSES = 3;
    private static final double LEARNING_RATE = 0.02;
    /** Every architecture of the model zoo, as {@code --arch} names them (batch normalization on, ReLU). */
    public static final List<String> ZOO = List.of("lenet-bn", "alexnet-bn", "vgg-bn", "googlenet-bn",
            "resnet-bottleneck-bn");

    private EngineProbe() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = parse(args);
        String arch = a.getOrDefault("arch", "lenet");
        int batch = Integer.parseInt(a.getOrDefault("batch", "64"));
        int images = Integer.parseInt(a.getOrDefault("images", "6400"));
        int inferBatch = Integer.parseInt(a.getOrDefault("infer-batch", "500"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "1"));
        WorkspaceMode workspace = WorkspaceMode.valueOf(a.getOrDefault("workspace", "ENABLED").toUpperCase(Locale.ROOT));
        String cacheArg = a.get("cache");
        String dir = DataFiles.resolveDir(a.getOrDefault("data", "/usr/share/datasets/fashion-mnist"));
        String path = a.getOrDefault("path", "dl4j");
        if (!path.equals("dl4j") && !path.equals("onednn")) {
            throw new IllegalArgumentException("--path must be dl4j or onednn, got " + path);
        }

        NativeThreads.set(threads);
        Engine.ensureHelpers();
        ImageData train = DataFiles.loadTrain(dir, 10, new Configuration()).limit(images);
        Normalization norm = Normalization.fit(train);

        ModelSpec spec = spec(arch);
        ComputationGraphConfiguration conf = ModelZoo.configure(spec, train.shape(), 10, 7,
                new Nesterovs(LEARNING_RATE, 0.9), 5e-4);
        conf.setTrainingWorkspaceMode(workspace);
        conf.setInferenceWorkspaceMode(workspace);
        if (cacheArg != null) {
            CacheMode cache = CacheMode.valueOf(cacheArg.toUpperCase(Locale.ROOT));
            conf.setCacheMode(cache);
            for (var v : conf.getVertices().values()) {
                if (v instanceof LayerVertex lv) {
                    lv.getLayerConf().setCacheMode(cache);
                }
            }
        }
        FlopCount flop = FlopCount.of(conf, InputType.convolutional(train.shape().height(), train.shape().width(),
                train.shape().channels()));
        ComputationGraph net = new ComputationGraph(conf);
        net.init();

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("arch", arch);
        out.put("engine", Engine.name());
        out.put("path", path);
        out.put("threads", threads);
        out.put("batch", batch);
        out.put("workspace", workspace.name());
        out.put("cache", conf.getCacheMode().name());
        out.put("params", net.numParams());
        out.put("forward_mflop", round(flop.forward() / 1e6, 3));
        out.put("training_mflop", round(flop.training() / 1e6, 3));
        OneDnnNetwork engine = path.equals("onednn")
                ? OneDnnNetwork.compile(net, train.shape().channels(), train.shape().height(), train.shape().width())
                : null;
        if (!a.containsKey("skip-training")) {
            List<DataSet> batches = new ArrayList<>();
            for (int from = 0; from + batch <= train.size(); from += batch) {
                batches.add(BatchSource.toDataSet(train, norm, from, from + batch));
            }
            if (batches.size() <= WARMUP_BATCHES) {
                throw new IllegalArgumentException("--images " + images + " gives " + batches.size()
                        + " batches of " + batch + "; need more than " + WARMUP_BATCHES);
            }
            long start = 0;
            double score = Double.NaN;
            for (int i = 0; i < batches.size(); i++) {
                if (i == WARMUP_BATCHES) {
                    start = System.nanoTime();
                }
                long stepStart = System.nanoTime();
                if (engine != null) {
                    score = engine.fit(batches.get(i).getFeatures(), batches.get(i).getLabels(), LEARNING_RATE);
                } else {
                    net.fit(batches.get(i));
                    score = net.score();
                }
                if (i == 0) {
                    // Plan build (primitives and their generated kernels) plus one step, on a cold JVM.
                    out.put("first_step_ms", round((System.nanoTime() - stepStart) / 1e6, 1));
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = (batches.size() - WARMUP_BATCHES) * (double) batch / seconds;
            out.put("train_images_per_second", round(rate, 1));
            out.put("train_gflops", round(rate * flop.training() / 1e9, 2));
            out.put("final_score", round(score, 4));
        }
        if (!a.containsKey("skip-inference")) {
            List<INDArray> chunks = new ArrayList<>();
            for (int from = 0; from + inferBatch <= train.size(); from += inferBatch) {
                chunks.add(BatchSource.toDataSet(train, norm, from, from + inferBatch).getFeatures());
            }
            if (engine != null) {
                long build = System.nanoTime();
                engine.prepareInference(inferBatch);
                out.put("plan_build_ms", round((System.nanoTime() - build) / 1e6, 1));
            }
            for (INDArray x : chunks) {
                infer(net, engine, x); // warm-up pass
            }
            long start = System.nanoTime();
            for (int r = 0; r < INFERENCE_PASSES; r++) {
                for (INDArray x : chunks) {
                    infer(net, engine, x);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = INFERENCE_PASSES * chunks.size() * (double) inferBatch / seconds;
            out.put("infer_batch", inferBatch);
            out.put("inference_images_per_second", round(rate, 1));
            out.put("inference_gflops", round(rate * flop.forward() / 1e9, 2));
            if (engine != null) {
                out.put("arena_mb", round(engine.inferenceArenaBytes() / 1048576.0, 1));
            }
        }
        out.put("rss_mb", residentMb("VmRSS"));
        out.put("peak_rss_mb", residentMb("VmHWM"));
        if (engine != null) {
            engine.close();
        }
        System.out.println(io.chorus.worker.fs.Json.MAPPER.writer()
                .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
    }

    private static INDArray infer(ComputationGraph net, OneDnnNetwork engine, INDArray x) {
        return engine != null ? engine.output(x) : net.output(x)[0];
    }

    /** A line of /proc/self/status ({@code VmRSS}, {@code VmHWM}) in MiB; null where there is none. */
    private static Double residentMb(String field) throws java.io.IOException {
        java.nio.file.Path status = java.nio.file.Path.of("/proc/self/status");
        if (!java.nio.file.Files.exists(status)) {
            return null;
        }
        for (String line : java.nio.file.Files.readAllLines(status)) {
            if (line.startsWith(field + ":")) {
                return round(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0, 1);
            }
        }
        return null;
    }

    /**
     * The benchmark networks (classic LeNet, and the small ResNet: 3 stages of 2 basic blocks, 16/32/64, BN)
     * and the zoo's other architectures ({@link #ZOO}: depth 2, width 16, BN, ReLU).
     */
    static ModelSpec spec(String arch) {
        return switch (arch) {
            case "lenet-bn" -> zoo(Architecture.LENET, BlockKind.BASIC);
            case "alexnet-bn" -> zoo(Architecture.ALEXNET, BlockKind.BASIC);
            case "vgg-bn" -> zoo(Architecture.VGG, BlockKind.BASIC);
            case "googlenet-bn" -> zoo(Architecture.GOOGLENET, BlockKind.BASIC);
            case "resnet-bottleneck-bn" -> zoo(Architecture.RESNET, BlockKind.BOTTLENECK);
            case "lenet" -> new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0.01, ActivationKind.RELU,
                    false, 0, 2, 16, BlockKind.BASIC);
            case "resnet" -> new ModelSpec(Architecture.RESNET, WeightInitKind.HE, 0.01, ActivationKind.RELU,
                    true, 0, 2, 16, BlockKind.BASIC);
            default -> throw new IllegalArgumentException("--arch must be lenet, resnet or one of " + ZOO + ", got " + arch);
        };
    }

    private static ModelSpec zoo(Architecture arch, BlockKind block) {
        return new ModelSpec(arch, WeightInitKind.HE, 0.01, ActivationKind.RELU, true, 0, 2, 16, block);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String key = args[i].substring(2);
            if (key.startsWith("skip-")) {
                m.put(key, "true");
            } else if (i + 1 < args.length) {
                m.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
        }
        return m;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
