package io.chorus.worker.engine.onednn;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The network's parameters, their gradients and the optimizer's state in native memory, each in
 * DL4J's own flat layout: parameter {@code k} of the engine is exactly element {@code k} of
 * {@link ComputationGraph#params()}, and the optimizer state is laid out as DL4J's updater state view.
 * Copying to or from a ComputationGraph is therefore one bulk copy per vector, and a snapshot written from
 * the ComputationGraph afterwards is an ordinary DL4J zip.
 *
 * <p>The primitives read weights straight from these buffers (reordered into blocked layouts where a
 * primitive wants one) and write their gradients straight into the gradient buffer.
 */
final class ParameterStore implements AutoCloseable {
    private final NativeScope scope = new NativeScope();
    private final NativeScope.Buffer values;
    private final NativeScope.Buffer gradients;
    private final NativeScope.Buffer state;
    private final long numParams;
    private final long stateSize;
    private final Map<String, FlatParam> byKey = new LinkedHashMap<>();

    ParameterStore(ComputationGraph net) {
        INDArray flat = net.params();
        numParams = flat.length();
        INDArray stateView = net.getUpdater(true).getStateViewArray();
        stateSize = stateView == null ? 0 : stateView.length();
        values = scope.allocate(numParams * Float.BYTES);
        gradients = scope.allocate(numParams * Float.BYTES);
        state = scope.allocate(Math.max(1, stateSize) * Float.BYTES);
        // Offsets by address: a restored network's views sit on buffers of their own that alias the flat one.
        long base = address(flat);
        INDArray row = flat.reshape(-1);
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                INDArray v = e.getValue();
                long bytes = address(v) - base;
                long off = bytes / Float.BYTES;
                if (bytes % Float.BYTES != 0 || off < 0 || off + v.length() > numParams
                        || !row.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(off, off + v.length()))
                                .equals(v.reshape(v.ordering(), new long[] {v.length()}))) {
                    throw new IllegalStateException("parameter " + name + "." + e.getKey()
                            + " is not a view of the network's flat parameters");
                }
                byKey.put(name + "." + e.getKey(), new FlatParam(name, e.getKey(), off, v.length()));
            }
        }
        loadFrom(net);
    }

    private static long address(INDArray a) {
        return a.data().address() + a.offset() * a.data().getElementSize();
    }

    /** Whether every parameter (or running statistic) in the given {start, length} ranges is finite, read in place. */
    boolean finite(java.util.List<int[]> ranges) {
        FloatBuffer v = values.floats();
        for (int[] r : ranges) {
            for (int i = r[0]; i < r[0] + r[1]; i++) {
                if (!Float.isFinite(v.get(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    FlatParam param(String layer, String key) {
        FlatParam p = byKey.get(layer + "." + key);
        if (p == null) {
            throw new UnsupportedGraphException(layer, "has no parameter " + key);
        }
        return p;
    }

    /** Every parameter, in DL4J's flat order. */
    java.util.Collection<FlatParam> all() {
        return byKey.values();
    }

    /** Whether a DL4J parameter key names batch normalization's running statistics (not trained by gradient). */
    static boolean runningStatistic(String key) {
        return key.equals("mean") || key.equals("var") || key.equals("log10stdev");
    }

    NativeScope.Buffer values() {
        return values;
    }

    NativeScope.Buffer gradients() {
        return gradients;
    }

    NativeScope.Buffer state() {
        return state;
    }

    long numParams() {
        return numParams;
    }

    /** Copies parameters and updater state from the ComputationGraph's flat views. */
    void loadFrom(ComputationGraph net) {
        put(values.floats(), net.params(), numParams);
        if (stateSize > 0) {
            put(state.floats(), net.getUpdater(true).getStateViewArray(), stateSize);
        }
    }

    /** Copies parameters and updater state into the ComputationGraph's flat views. */
    void copyTo(ComputationGraph net) {
        net.params().assign(read(values.floats(), numParams).reshape(net.params().shape()));
        if (stateSize > 0) {
            INDArray view = net.getUpdater(true).getStateViewArray();
            view.assign(read(state.floats(), stateSize).reshape(view.shape()));
        }
    }

    /** A copy of the gradient vector (the gradient of the mean loss, without regularization). */
    INDArray gradientCopy() {
        return read(gradients.floats(), numParams);
    }

    private static void put(FloatBuffer dst, INDArray src, long n) {
        float[] a = src.dup('c').data().asFloat();
        if (a.length != n) {
            throw new IllegalStateException("expected " + n + " values, got " + a.length);
        }
        dst.put(a);
    }

    private static INDArray read(FloatBuffer src, long n) {
        float[] a = new float[Math.toIntExact(n)];
        src.get(a);
        return Nd4j.createFromArray(a);
    }

    @Override
    public void close() {
        scope.close();
    }
}
