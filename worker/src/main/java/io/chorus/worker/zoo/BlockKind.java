package io.chorus.worker.zoo;

/** Residual block of {@code resnet} ({@code model.block}): two 3x3 convolutions, or 1x1-3x3-1x1 with expansion 4. */
public enum BlockKind {
    BASIC, BOTTLENECK;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
