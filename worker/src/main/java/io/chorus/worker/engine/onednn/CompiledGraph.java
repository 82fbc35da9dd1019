package io.chorus.worker.engine.onednn;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A network reduced to what the engine runs: its ops in topological order, reading tensors by name
 * (parameter-free reshapes resolved away), independent of any batch size.
 *
 * @param inputName  the network input's name
 * @param inputChw   channels, height, width of one input image
 * @param ops        the ops in an order where every input is produced before it is read
 * @param withParams names of the ops that own parameters
 * @param classes    number of output classes
 * @param aliases    parameter-free vertices (flattens) and the tensor each one reads
 */
record CompiledGraph(String inputName, long[] inputChw, List<Op> ops, Set<String> withParams, int classes,
                     Map<String, String> aliases) {

    /** The tensor a vertex name stands for (itself, or what a chain of flattens reads). */
    String resolve(String vertex) {
        String n = vertex;
        while (aliases.containsKey(n)) {
            n = aliases.get(n);
        }
        return n;
    }

    long[] inputDims(int batch) {
        return new long[] {batch, inputChw[0], inputChw[1], inputChw[2]};
    }

    boolean hasParams(Op op) {
        return withParams.contains(op.name());
    }

    /** How many ops read each tensor. */
    Map<String, Integer> consumerCounts() {
        Map<String, Integer> n = new HashMap<>();
        for (Op op : ops) {
            for (String in : op.inputs()) {
                n.merge(in, 1, Integer::sum);
            }
        }
        return n;
    }
}
