package io.chorus.worker.zoo;

/** The networks of the model zoo, by the name a job configuration uses ({@code model.arch}). */
public enum Architecture {
    LENET, ALEXNET, VGG, GOOGLENET, RESNET;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
