package io.chorus.worker.train;

import java.io.IOException;

/** A snapshot that a manifest lists is missing or no longer matches its recorded SHA-256. */
public class SnapshotCorruptException extends IOException {
    public SnapshotCorruptException(String message) {
        super(message);
    }
}
