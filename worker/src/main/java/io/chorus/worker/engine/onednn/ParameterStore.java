package io.chorus.worker.engine.onednn;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataBuffer;
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
        long base = flat.offset();
        for (Layer layer : net.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                INDArray v = e.getValue();
                if (root(v.data()) != root(flat.data())) {
                    throw new IllegalStateException("parameter " + name + "." + e.getKey()
                            + " is not a view of the network's flat parameters");
                }
                byKey.put(name + "." + e.getKey(), new FlatParam(name, e.getKey(), v.offset() - base, v.length()));
            }
        }
        loadFrom(net);
    }

    /**
     * The buffer a (view) buffer ultimately lies in. A freshly built network's flat vector is itself a view,
     * a restored or cloned one's is not; its parameters are views of it either way.
     */
    private static DataBuffer root(DataBuffer b) {
        DataBuffer r = b;
        while (r.originalDataBuffer() != null && r.originalDataBuffer() != r) {
            r = r.originalDataBuffer();
        }
        return r;
    }

    FlatParam param(String layer, String key) {
        FlatParam p = byKey.get(layer + "." + key);
        if (p == null) {
            throw new UnsupportedGraphException(layer, "has no parameter " + key);
        }
        return p;
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
