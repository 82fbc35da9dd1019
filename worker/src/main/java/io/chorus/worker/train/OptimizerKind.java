package io.chorus.worker.train;

/** {@code train.optimizer}: SGD with Nesterov momentum, or Adam. */
public enum OptimizerKind {
    SGD, ADAM;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
