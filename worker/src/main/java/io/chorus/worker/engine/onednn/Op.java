package io.chorus.worker.engine.onednn;

import java.util.List;

/**
 * One vertex of the network as the engine runs it: it reads {@link #inputs()}, writes {@link #output()}
 * and, given a {@link Plan.Builder}, appends its primitives for one batch size.
 */
interface Op {
    /** The DL4J vertex name. */
    String name();

    List<String> inputs();

    /** Name of the tensor it produces; by default its own name. */
    default String output() {
        return name();
    }

    /** Adds forward steps and, in a training plan, backward steps (in the order they run within this op). */
    void build(Plan.Builder b);
}
