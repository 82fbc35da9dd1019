package io.chorus.driver.scoring;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import io.chorus.driver.eval.ModelStore;
import io.chorus.ensemble.heads.Backbone;
import io.chorus.ensemble.heads.HeadEnsemble;
import io.chorus.ensemble.heads.McDropout;
import io.chorus.worker.Seeds;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.engine.onednn.OneDnnNetwork;
import io.chorus.worker.train.NativeThreads;

/**
 * The class probabilities of networks on images: the one routine the evaluation and batch prediction
 * both score with, so that an image gets the same floats from either.
 *
 * <p>A float32 network does not give one image the same last bits in every batch: the engine picks its
 * kernels by batch size (on an AVX-512 Xeon, batches of up to 120 images take another path than batches of
 * 127 and more, and inside a short batch an image's row can depend on its position) and OpenBLAS splits a
 * product by its thread count; each path sums in another order. What stays fixed is the result of one
 * batch with one thread count. So scoring here
 * <ul>
 *   <li>cuts the images into batches aligned to absolute indexes: batch {@code k} is always images
 *       {@code [k * batch, (k + 1) * batch)} of {@code images} (the last one shorter), whatever range the
 *       caller asked for; a range that starts or ends inside a batch scores that whole batch and keeps its
 *       rows ({@link #ranges} cuts task ranges of whole batches, so that nothing is scored twice);</li>
 *   <li>pins the ND4J, OpenMP and BLAS threads of the calling thread to {@code threads} before the first
 *       batch (a Spark task thread keeps whatever the previous task set).</li>
 * </ul>
 * Then the same network, batch size and thread count give bitwise identical probabilities however the
 * images were cut into tasks.
 *
 * <p>Heads sharing a backbone run as one {@link HeadEnsemble}: one backbone pass per batch, then each head.
 * Models with the same file (a member and its final snapshot) are computed once. MC dropout is seeded by
 * the position of the batch's first image. Each network is borrowed from {@link ModelStore} (checked,
 * loaded once per JVM, one copy per concurrent caller).
 *
 * <p>Networks run on the oneDNN engine ({@link ModelStore.Lease#engine}: compiled once per JVM and copy,
 * plans per batch size), a network it cannot compile on DL4J. What runs where: a member or snapshot
 * entirely on the engine; a backbone's features (of head ensembles and MC dropout) on the engine, the heads
 * themselves on DL4J (small dense networks on a feature vector, which the engine, compiling image networks,
 * does not take); MC dropout's stochastic head passes on DL4J, which needs dropout active at inference. The
 * evaluation and prediction both score here, so they use the same path and get the same floats.
 */
public final class Scoring {
    /** Key of {@link Result#seconds} holding the time of all head ensembles (backbone passes and heads). */
    public static final String HEADS = "heads/all";

    /**
     * Threads per scoring task where nothing else says how many: one per task, one task per core, as members
     * train by default ({@code train.threads: 1}).
     */
    public static final int DEFAULT_THREADS = 1;

    private Scoring() {
    }

    /**
     * One network to score.
     *
     * @param id            name of its probabilities in {@link Result#probs}
     * @param path          the model file (URI)
     * @param sha256        its checksum
     * @param normalization pixel normalization of the member it comes from
     * @param backbone      for a head: the member network whose features it reads (else null)
     * @param passes        MC dropout passes of the member's own head on its backbone (0: deterministic)
     * @param seed          MC dropout seed (mixed with each batch's first index)
     */
    public record Model(String id, String path, String sha256, Normalization normalization, Model backbone,
                        int passes, long seed) implements Serializable {
        public static Model plain(String id, String path, String sha256, Normalization normalization) {
            return new Model(id, path, sha256, normalization, null, 0, 0);
        }

        /** Models with the same key give the same probabilities. */
        private String computation() {
            return path + "#" + sha256 + (passes > 0 ? "#mcd" + passes + "#" + seed : "");
        }
    }

    /**
     * Probabilities of images {@code [from, to)}: per model id, {@code (to - from) x classes} floats,
     * row-major; and the seconds each model took (models sharing a computation share the time; heads have
     * none of their own, {@link #HEADS} holds their ensembles' time).
     */
    public record Result(int from, int to, int classes, Map<String, float[]> probs, Map<String, Double> seconds)
            implements Serializable {
    }

    /**
     * Scores images {@code [from, to)} of {@code images} with every model, {@code batch} images per forward
     * pass in batches aligned to absolute indexes, with {@code threads} native threads.
     *
     * @param scope   the {@link ModelStore} cache scope of the caller
     * @param classes the number of classes each model must give
     */
    public static Result score(String scope, List<Model> models, ImageData images, int from, int to, int batch,
                               int threads, int classes, Configuration conf) throws IOException {
        if (from < 0 || to > images.size() || from > to) {
            throw new IllegalArgumentException("images [" + from + ", " + to + ") of " + images.size());
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        NativeThreads.set(threads);
        Batches batches = new Batches(images, from, to, batch, classes);
        Map<String, float[]> probs = new LinkedHashMap<>();
        Map<String, Double> seconds = new LinkedHashMap<>();
        Map<String, String> computed = new LinkedHashMap<>();
        Map<String, List<Model>> heads = new LinkedHashMap<>();
        for (Model m : models) {
            if (m.backbone() != null) {
                heads.computeIfAbsent(m.backbone().path() + "#" + m.backbone().sha256(), k -> new ArrayList<>()).add(m);
                continue;
            }
            String same = computed.get(m.computation());
            if (same != null) {
                probs.put(m.id(), probs.get(same));
                seconds.put(m.id(), seconds.get(same));
                continue;
            }
            float[] p = batches.empty();
            long start;
            try (ModelStore.Lease lease = ModelStore.borrow(scope, m.path(), m.sha256(), conf)) {
                // Loading is not inference: the clock starts once the network is in memory.
                start = System.nanoTime();
                ComputationGraph net = lease.net();
                OneDnnNetwork engine = lease.engine(images.shape());
                if (m.passes() > 0) {
                    Backbone b = lease.backbone(images.shape());
                    ComputationGraph head = b.memberHead();
                    batches.run(m.normalization(), (first, x) -> List.of(
                            McDropout.predict(b, head, x, m.passes(), Seeds.mix(m.seed(), first))), List.of(p));
                } else if (engine != null) {
                    batches.run(m.normalization(), (first, x) -> List.of(engine.output(x)), List.of(p));
                } else {
                    batches.run(m.normalization(), (first, x) -> List.of(net.output(false, x)[0]), List.of(p));
                }
            }
            probs.put(m.id(), p);
            seconds.put(m.id(), (System.nanoTime() - start) / 1e9);
            computed.put(m.computation(), m.id());
        }
        for (List<Model> group : heads.values()) {
            Model backbone = group.get(0).backbone();
            List<ModelStore.Lease> leases = new ArrayList<>();
            try {
                leases.add(ModelStore.borrow(scope, backbone.path(), backbone.sha256(), conf));
                List<ComputationGraph> nets = new ArrayList<>();
                List<float[]> into = new ArrayList<>();
                for (Model h : group) {
                    leases.add(ModelStore.borrow(scope, h.path(), h.sha256(), conf));
                    nets.add(leases.get(leases.size() - 1).net());
                    float[] p = batches.empty();
                    into.add(p);
                    probs.put(h.id(), p);
                }
                HeadEnsemble ensemble = new HeadEnsemble(leases.get(0).backbone(images.shape()), nets);
                long start = System.nanoTime();
                batches.run(backbone.normalization(), (first, x) -> ensemble.predict(x), into);
                seconds.merge(HEADS, (System.nanoTime() - start) / 1e9, Double::sum);
            } finally {
                leases.forEach(ModelStore.Lease::close);
            }
        }
        return new Result(from, to, classes, probs, seconds);
    }

    /**
     * {@code [from, to)} ranges of whole batches cutting {@code n} images into at most {@code tasks} parts of
     * nearly equal numbers of batches (fewer parts when there are fewer batches than tasks).
     */
    public static List<int[]> ranges(int n, int tasks, int batch) {
        int batches = (n + batch - 1) / batch;
        int parts = Math.max(1, Math.min(tasks, batches));
        List<int[]> ranges = new ArrayList<>();
        for (int t = 0; t < parts; t++) {
            long first = (long) batches * t / parts;
            long last = (long) batches * (t + 1) / parts;
            ranges.add(new int[] {(int) Math.min(n, first * batch), (int) Math.min(n, last * batch)});
        }
        return ranges;
    }

    /** A forward pass over one batch: the probabilities of each output, {@code [rows, classes]}. */
    private interface Pass {
        List<INDArray> apply(int first, INDArray images);
    }

    /** The aligned batches covering {@code [from, to)}, and where their rows go. */
    private record Batches(ImageData images, int from, int to, int batch, int classes) {
        float[] empty() {
            return new float[(to - from) * classes];
        }

        void run(Normalization normalization, Pass pass, List<float[]> into) {
            for (int first = from / batch * batch; first < to; first += batch) {
                int end = Math.min(images.size(), first + batch);
                INDArray x = BatchSource.toDataSet(images, normalization, first, end).getFeatures();
                List<INDArray> out = pass.apply(first, x);
                int keepFrom = Math.max(first, from);
                int keepTo = Math.min(end, to);
                for (int k = 0; k < into.size(); k++) {
                    copy(out.get(k), keepFrom - first, keepTo - keepFrom, into.get(k), (keepFrom - from) * classes);
                }
            }
        }

        private void copy(INDArray probs, int skip, int rows, float[] into, int at) {
            float[][] m = probs.toFloatMatrix();
            for (int i = 0; i < rows; i++) {
                float[] row = m[skip + i];
                if (row.length != classes) {
                    throw new IllegalStateException("a model gives " + row.length + " class probabilities; the data has "
                            + classes + " classes");
                }
                System.arraycopy(row, 0, into, at + i * classes, classes);
            }
        }
    }
}
