package io.chorus.worker.zoo;

/** Hidden-unit nonlinearity ({@code model.activation}). Leaky ReLU uses slope 0.01, ELU alpha 1. */
public enum ActivationKind {
    RELU, LEAKYRELU, ELU;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
