package io.chorus.worker.zoo;

/**
 * Weight initialization ({@code model.init}): Xavier/Glorot (variance 2/(fan_in+fan_out)),
 * He (variance 2/fan_in, for ReLU-like units), or a plain Gaussian N(0, sigma^2) with
 * {@code model.init_sigma}, the naive choice whose activations vanish or explode with depth.
 */
public enum WeightInitKind {
    XAVIER, HE, NORMAL;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
