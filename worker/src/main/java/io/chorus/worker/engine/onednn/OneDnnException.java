package io.chorus.worker.engine.onednn;

/** A oneDNN call failed: the message names the call and oneDNN's status. */
public class OneDnnException extends RuntimeException {
    public OneDnnException(String message) {
        super(message);
    }
}
