package io.chorus.worker.fs;

import java.io.IOException;

/** A file Chorus wrote (a manifest) that no longer reads as one: bad input naming the file, not a crash. */
public class MalformedFileException extends IOException {
    public MalformedFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
