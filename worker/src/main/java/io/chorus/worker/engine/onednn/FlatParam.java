package io.chorus.worker.engine.onednn;

/**
 * One parameter of the network as a range of DL4J's flat parameter vector (the same range holds its
 * gradient in the flat gradient vector).
 *
 * @param layer  DL4J layer name
 * @param name   DL4J parameter key (W, b, gamma, beta, mean, log10stdev, var)
 * @param offset first element in the flat vector
 * @param length number of elements
 */
record FlatParam(String layer, String name, long offset, long length) {
}
