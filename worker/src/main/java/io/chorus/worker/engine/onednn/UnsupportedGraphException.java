package io.chorus.worker.engine.onednn;

/**
 * The engine cannot compile a part of a network. The message names the layer or vertex and why, so the
 * caller can log it and train that member on DL4J's own path instead.
 */
public class UnsupportedGraphException extends RuntimeException {
    private final String vertex;

    public UnsupportedGraphException(String vertex, String why) {
        super("the oneDNN engine cannot compile " + vertex + ": " + why);
        this.vertex = vertex;
    }

    /** Name of the layer or vertex at fault. */
    public String vertex() {
        return vertex;
    }
}
