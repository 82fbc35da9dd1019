package io.chorus.worker.data;

import java.io.IOException;

/**
 * A data file that exists and can be read but whose contents are malformed: wrong magic number,
 * inconsistent dimensions, truncated or over-long data, labels out of range, corrupt compression.
 *
 * <p>It is a separate type from plain {@link IOException} because the two call for different
 * reactions in Chorus: an I/O error (a flaky HDFS or S3 read) may succeed when the Spark task is
 * retried, while a malformed file will fail the same way on every attempt and every executor, so
 * retrying only wastes cluster time. The message always names the file and what is wrong with it.
 */
public class DataFormatException extends IOException {

    /**
     * @param msg what is wrong, starting with the name (URI or path) of the offending file
     */
    public DataFormatException(String msg) {
        super(msg);
    }

    /**
     * @param msg   what is wrong, starting with the name (URI or path) of the offending file
     * @param cause the low-level error that revealed the problem (for example a gzip error)
     */
    public DataFormatException(String msg, Throwable cause) {
        super(msg, cause);
    }
}
