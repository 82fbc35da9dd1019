package io.chorus.worker.engine.onednn;

import java.nio.FloatBuffer;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_destroy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.dnnl.dnnl_stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * A model-zoo ComputationGraph compiled onto oneDNN: training steps and inference without DL4J's
 * layers, over parameters held in DL4J's flat layout (see {@link ParameterStore}).
 *
 * <p>Plans (primitive descriptors, primitives, activation memories) are built once per batch size and
 * mode, lazily, and reused: a training run sees two, the full batch and the odd last one. Inference plans
 * (at most {@value #INFERENCE_PLANS}, the least recently used closed first) own no activation buffers: their
 * activations live in one arena of this network, where activations that are never needed at the same time
 * share bytes, and the arena grows to the largest plan's need. They bring their own scratchpads, and every
 * plan of a network runs on the network's own stream, so a network may be used from any thread (one at a
 * time).
 *
 * <p>Loss: softmax cross-entropy, mean over the batch, plus {@code 0.5 * l2 * sum(w^2)} as DL4J scores
 * L2. Dropout masks come from the engine's own generator, seeded by {@link #setDropoutSeed} (DL4J's
 * generator cannot be reproduced, so a network with dropout trains like DL4J's in distribution, not
 * bitwise).
 *
 * <p>Not thread-safe. Frees all native memory in {@link #close()}.
 */
public final class OneDnnNetwork implements AutoCloseable {
    private static final double LOG_CLIP = 1e-10;
    /** Inference plans kept per network: a scoring pass needs two (its batch and the odd last one). */
    static final int INFERENCE_PLANS = 4;

    private final ParameterStore params;
    private final CompiledGraph graph;
    private final Optimizer optimizer;
    private final Map<Integer, Plan> training = new HashMap<>();
    /**
     * Inference plans by (batch, tensor or null for the probabilities, OpenMP threads of the thread that
     * built them), least recently used first. oneDNN fixes a kernel's thread split when it creates the
     * primitive, and the split decides the order of float sums: a plan built under another thread count
     * would give other last bits than a fresh one.
     */
    private final LinkedHashMap<InferenceKey, Plan> inference = new LinkedHashMap<>(8, 0.75f, true);
    private final dnnl_stream stream;
    private NativeScope arenaScope;
    private NativeScope.Buffer arena;
    private int iteration;
    /** The training plan whose gradient awaits {@link #update}. */
    private Plan pending;
    private long dropoutSeed;
    private SplittableRandom rng = new SplittableRandom(0);
    private boolean closed;
    /** Whether every parameter is finite, as the last update found; null when not known (read them). */
    private Boolean finite;
    /** Parameter ranges ({start, length}) the optimizer does not write: running statistics, frozen ones. */
    private final List<int[]> notUpdated;

    private record InferenceKey(int batch, String features, int threads) {
    }

    private OneDnnNetwork(ComputationGraph net, long channels, long height, long width) {
        OneDnn.get();
        params = new ParameterStore(net);
        try {
            graph = GraphCompiler.compile(net, params, channels, height, width);
            optimizer = new Optimizer(net);
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
        stream = new dnnl_stream();
        try {
            OneDnn.check(dnnl_stream_create(stream, OneDnn.get().engine(), dnnl_stream_default_flags),
                    "dnnl_stream_create");
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
        iteration = net.getIterationCount();
        notUpdated = complement(optimizer.updatedRanges(), Math.toIntExact(params.numParams()));
    }

    /** The parts of [0, n) that none of {@code ranges} ({start, length}, ascending) covers. */
    static List<int[]> complement(List<int[]> ranges, int n) {
        List<int[]> sorted = new java.util.ArrayList<>(ranges);
        sorted.sort(java.util.Comparator.comparingInt(r -> r[0]));
        List<int[]> out = new java.util.ArrayList<>();
        int at = 0;
        for (int[] r : sorted) {
            if (r[0] > at) {
                out.add(new int[] {at, r[0] - at});
            }
            at = Math.max(at, r[0] + r[1]);
        }
        if (at < n) {
            out.add(new int[] {at, n - at});
        }
        return List.copyOf(out);
    }

    /**
     * Compiles {@code net} for NCHW inputs of the given image shape, copying its parameters and updater
     * state.
     *
     * @throws UnsupportedGraphException naming the first layer or vertex the engine cannot run
     */
    public static OneDnnNetwork compile(ComputationGraph net, long channels, long height, long width) {
        return new OneDnnNetwork(net, channels, height, width);
    }

    /**
     * Native objects and bytes held by every open engine network in this process: {@code [objects, bytes]}.
     * Both return to their earlier values when the networks opened since are closed.
     */
    public static long[] liveNative() {
        return new long[] {NativeScope.liveObjects(), NativeScope.liveBytes()};
    }

    /** The iteration the next {@link #fit} performs (DL4J's iteration count). */
    public int iteration() {
        return iteration;
    }

    /** Seeds the dropout masks of the next {@link #fit} (the trainer derives it from seed and iteration). */
    public void setDropoutSeed(long seed) {
        dropoutSeed = seed;
    }

    /**
     * One training step on {@code features} [n, c, h, w] and one-hot {@code labels} [n, classes]:
     * forward, backward, the optimizer update at {@code learningRate}, batch normalization's running
     * statistics.
     *
     * @return the score DL4J would report for this step: mean loss plus L2 term, before the update
     */
    public double fit(INDArray features, INDArray labels, double learningRate) {
        double loss = forwardBackward(features, labels);
        return loss + applyUpdate(learningRate).regularization();
    }

    /**
     * The second half of {@link #fit}: applies the gradient the last {@link #gradient} call left (plus
     * L2), moves batch normalization's running statistics and counts the iteration. The gradient buffer
     * keeps the gradient of the mean loss.
     */
    public void update(double learningRate) {
        applyUpdate(learningRate);
    }

    private Optimizer.Result applyUpdate(double learningRate) {
        ensureOpen();
        if (pending == null) {
            throw new IllegalStateException("update without a gradient: call gradient() first");
        }
        Optimizer.Result r = optimizer.step(params.values().floats(), params.gradients().floats(),
                params.state().floats(), learningRate, iteration);
        pending.runStatistics();
        pending = null;
        iteration++;
        // The update checked what it wrote; the rest (running statistics) is read here.
        finite = r.finite() && params.finite(notUpdated) ? Boolean.TRUE : Boolean.FALSE;
        return r;
    }

    /**
     * The squared L2 norm of the last gradient of the mean loss per layer, over its trainable parameters
     * (batch normalization's running statistics left out), times {@code scale^2}; read before
     * {@link #update} (which adds L2 to the gradient). Layers without trainable parameters are absent.
     */
    public Map<String, Double> gradientSquares(double scale) {
        ensureOpen();
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        FloatBuffer g = params.gradients().floats();
        for (FlatParam p : params.all()) {
            if (ParameterStore.runningStatistic(p.name())) {
                continue;
            }
            double s = 0;
            for (long i = p.offset(); i < p.offset() + p.length(); i++) {
                double v = g.get((int) i);
                s += v * v;
            }
            out.merge(p.layer(), s * scale * scale, Double::sum);
        }
        return out;
    }

    /**
     * Forward and backward without an update: leaves the gradient of the mean loss (without the L2 term)
     * in the gradient buffer, see {@link #gradientCopy()}; returns the score as {@link #fit} does.
     */
    public double gradient(INDArray features, INDArray labels) {
        return forwardBackward(features, labels) + optimizer.regularizationScore(params.values().floats(), iteration);
    }

    /** Forward and backward; returns the mean loss (without the L2 term). */
    private double forwardBackward(INDArray features, INDArray labels) {
        ensureOpen();
        int n = (int) features.size(0);
        Plan plan = training.computeIfAbsent(n, b -> Plan.compile(graph, params, b, true, () -> rng, stream, null));
        pending = plan;
        rng = new SplittableRandom(dropoutSeed ^ (0x9E3779B97F4A7C15L * (iteration + 1L)));
        load(plan.input, features);
        plan.runForward();
        double loss = softmaxCrossEntropy(plan, labels);
        plan.runBackward();
        return loss;
    }

    /** Class probabilities [n, classes] at inference (running statistics, no dropout). */
    public INDArray output(INDArray features) {
        ensureOpen();
        int n = (int) features.size(0);
        Plan plan = inferencePlan(n, null);
        load(plan.input, features);
        plan.runForward();
        int k = graph.classes();
        float[] p = new float[n * k];
        FloatBuffer logits = plan.logits.buffer().floats();
        double[] row = new double[k];
        for (int i = 0; i < n; i++) {
            softmax(logits, i * k, k, row);
            for (int j = 0; j < k; j++) {
                p[i * k + j] = (float) row[j];
            }
        }
        return Nd4j.create(p, new long[] {n, k}, 'c');
    }

    /**
     * Whether every parameter is finite, read in native memory without a copy. The loss alone does not
     * tell: oneDNN's ReLU maps NaN to 0, so a NaN weight before a ReLU leaves the loss finite.
     */
    public boolean parametersFinite() {
        ensureOpen();
        if (finite == null) {
            finite = params.finite(List.of(new int[] {0, Math.toIntExact(params.numParams())}));
        }
        return finite;
    }

    /**
     * The activations of vertex {@code vertex} [n, size] at inference (running statistics, no dropout),
     * each row the vertex's output flattened in DL4J's order (channel, row, column): a backbone's features.
     * The pass stops there.
     *
     * @throws UnsupportedGraphException if no op produces that vertex
     */
    public INDArray activations(INDArray features, String vertex) {
        ensureOpen();
        int n = (int) features.size(0);
        Plan plan = inferencePlan(n, vertex);
        load(plan.input, features);
        plan.runForward();
        long size = plan.features.bytes() / Float.BYTES / n;
        float[] out = new float[Math.toIntExact(n * size)];
        plan.features.buffer().floats().get(out);
        return Nd4j.create(out, new long[] {n, size}, 'c');
    }

    /**
     * Builds the inference plan for batches of {@code batch} now (primitive descriptors, primitives with
     * their generated kernels, the arena), so that the first {@link #output} of that size only computes.
     */
    public void prepareInference(int batch) {
        ensureOpen();
        inferencePlan(batch, null);
    }

    /** The ops this network runs (after fusion). */
    CompiledGraph graph() {
        return graph;
    }

    /** Number of inference plans kept now. */
    int inferencePlans() {
        return inference.size();
    }

    /** Bytes of the arena the inference plans share (0 before the first inference). */
    public long inferenceArenaBytes() {
        return arena == null ? 0 : arena.bytes();
    }

    /**
     * Bytes the activations of the inference plan for {@code batch} would take with a buffer each (what the
     * arena saves), building the plan if needed.
     */
    long inferenceTransientBytes(int batch) {
        ensureOpen();
        return inferencePlan(batch, null).transientBytes();
    }

    private Plan inferencePlan(int batch, String vertex) {
        InferenceKey key = new InferenceKey(batch, vertex,
                NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
        Plan plan = inference.get(key);
        if (plan != null) {
            return plan;
        }
        plan = Plan.compile(graph, params, batch, false, () -> rng, stream, vertex);
        if (inference.size() >= INFERENCE_PLANS) {
            var eldest = inference.entrySet().iterator();
            eldest.next().getValue().close();
            eldest.remove();
        }
        inference.put(key, plan);
        if (arena == null || arena.bytes() < plan.arenaBytes()) {
            // Grow: a new arena for every plan, then the old one goes.
            NativeScope grown = new NativeScope();
            NativeScope.Buffer bigger;
            try {
                bigger = grown.allocate(Math.max(plan.arenaBytes(), arena == null ? 0 : arena.bytes() * 5 / 4));
            } catch (RuntimeException e) {
                grown.close();
                throw e;
            }
            for (Plan p : inference.values()) {
                p.place(bigger);
            }
            if (arenaScope != null) {
                arenaScope.close();
            }
            arenaScope = grown;
            arena = bigger;
        } else {
            plan.place(arena);
        }
        return plan;
    }

    /** A copy of the last computed gradient of the mean loss, in DL4J's flat layout. */
    public INDArray gradientCopy() {
        return params.gradientCopy();
    }

    /** Writes parameters, updater state and the iteration count into {@code net} (for a snapshot). */
    public void copyTo(ComputationGraph net) {
        ensureOpen();
        params.copyTo(net);
        net.getConfiguration().setIterationCount(iteration);
    }

    /** Replaces parameters, updater state and iteration count with {@code net}'s (after a resume). */
    public void loadFrom(ComputationGraph net) {
        ensureOpen();
        pending = null;
        finite = null;
        params.loadFrom(net);
        iteration = net.getIterationCount();
    }

    private double softmaxCrossEntropy(Plan plan, INDArray labels) {
        int n = plan.batch;
        int k = graph.classes();
        if (labels.size(0) != n || labels.size(1) != k) {
            throw new IllegalArgumentException("labels " + java.util.Arrays.toString(labels.shape()) + " for a batch of "
                    + n + " and " + k + " classes");
        }
        float[] y = labels.castTo(DataType.FLOAT).dup('c').data().asFloat();
        FloatBuffer logits = plan.logits.buffer().floats();
        FloatBuffer diff = plan.logitsDiff.buffer().floats();
        double[] p = new double[k];
        double loss = 0;
        for (int i = 0; i < n; i++) {
            softmax(logits, i * k, k, p);
            for (int j = 0; j < k; j++) {
                double t = y[i * k + j];
                if (t != 0) {
                    loss -= t * Math.log(Math.min(1 - LOG_CLIP, Math.max(LOG_CLIP, p[j])));
                }
                diff.put(i * k + j, (float) ((p[j] - t) / n));
            }
        }
        return loss / n;
    }

    private static void softmax(FloatBuffer logits, int at, int k, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            max = Math.max(max, logits.get(at + j));
        }
        double sum = 0;
        for (int j = 0; j < k; j++) {
            out[j] = Math.exp(logits.get(at + j) - max);
            sum += out[j];
        }
        for (int j = 0; j < k; j++) {
            out[j] /= sum;
        }
    }

    private void load(NativeScope.Mem input, INDArray features) {
        long[] want = graph.inputDims((int) features.size(0));
        if (!java.util.Arrays.equals(features.shape(), want)) {
            throw new IllegalArgumentException("features " + java.util.Arrays.toString(features.shape())
                    + ", expected " + java.util.Arrays.toString(want));
        }
        input.buffer().floats().put(features.castTo(DataType.FLOAT).dup('c').data().asFloat());
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("network closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Plan p : training.values()) {
            p.close();
        }
        for (Plan p : inference.values()) {
            p.close();
        }
        inference.clear();
        if (arenaScope != null) {
            arenaScope.close();
        }
        dnnl_stream_destroy(stream);
        params.close();
    }
}
