package io.chorus.worker.train;

/**
 * A model file whose checksum matches but whose contents are not what Chorus writes: an unexpected,
 * duplicate or path-like zip entry, a missing required entry, or a Java-deserialization attempt while
 * restoring. It extends {@link SnapshotCorruptException}, so callers refuse it like a corrupt file.
 */
public class UnsafeModelException extends SnapshotCorruptException {
    public UnsafeModelException(String message) {
        super(message);
    }

    public UnsafeModelException(String message, Throwable cause) {
        super(message);
        initCause(cause);
    }
}
