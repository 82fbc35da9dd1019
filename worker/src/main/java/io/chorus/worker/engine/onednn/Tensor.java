package io.chorus.worker.engine.onednn;

import java.util.ArrayList;
import java.util.List;

/**
 * An activation of one compiled plan: its logical dims (NCHW, or NC when flat), the memory its producer
 * wrote (in whatever layout the producer chose, usually blocked), and, when training, the gradient
 * arriving from its consumers.
 *
 * <p>Several consumers (a residual input, an inception module's input) each write their own
 * contribution; a sum primitive adds them into {@link #diff} before the producer's backward runs. A
 * tensor with one consumer lets it write into {@link #diff} directly.
 */
final class Tensor {
    final String name;
    final long[] dims;
    /** Number of vertices reading this tensor (the graph's output counts the loss as one). */
    int consumers;
    /** Whether anything upstream has parameters (false for the network input and what depends only on it). */
    boolean needsDiff = true;
    NativeScope.Mem value;
    NativeScope.Mem diff;
    final List<NativeScope.Mem> contributions = new ArrayList<>();

    Tensor(String name, long[] dims) {
        this.name = name;
        this.dims = dims;
    }

    boolean image() {
        return dims.length == 4;
    }

    long channels() {
        return dims[1];
    }

    @Override
    public String toString() {
        return name + java.util.Arrays.toString(dims);
    }
}
