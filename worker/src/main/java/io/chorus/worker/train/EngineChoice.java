package io.chorus.worker.train;

/**
 * {@code train.engine}: what runs a member's training updates. {@code onednn} is Chorus's own oneDNN engine
 * ({@link io.chorus.worker.engine.onednn.OneDnnNetwork}), {@code dl4j} DL4J's own training path, and
 * {@code auto} the engine on the CPU and DL4J when the member runs on a GPU. A network the engine cannot
 * compile trains on DL4J's path whatever the choice, and says why in the log.
 */
public enum EngineChoice {
    AUTO, ONEDNN, DL4J;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether a member on {@code device} ({@code cpu} or {@code cuda:<n>}) should try the oneDNN engine. */
    public boolean wantsOneDnn(String device) {
        return switch (this) {
            case ONEDNN -> true;
            case DL4J -> false;
            case AUTO -> "cpu".equals(device);
        };
    }
}
