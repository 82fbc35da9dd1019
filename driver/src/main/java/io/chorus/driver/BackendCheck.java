package io.chorus.driver;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chorus.worker.engine.Backend;

/**
 * ND4J's backend must load in the driver before a job reads or trains anything: the driver builds and scores
 * networks too, and the CUDA build (-Pcuda) carries no CPU backend to fall back on. A host where it cannot
 * load (no GPU, no NVIDIA driver, no CUDA 11 libraries) is refused with exit 2 and the cause in one line.
 */
final class BackendCheck {
    private static final Logger LOG = LoggerFactory.getLogger(BackendCheck.class);

    private BackendCheck() {
    }

    static void require() throws BadInputException {
        // ND4J's CUDA backend prints the stack trace of a failed load itself; it goes to the log, not the console.
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream console = System.err;
        System.setErr(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            Backend.load();
        } catch (Backend.UnavailableException e) {
            throw new BadInputException(e.getMessage(), e);
        } finally {
            System.setErr(console);
            if (printed.size() > 0) {
                LOG.debug("while ND4J's backend loaded:\n{}", printed.toString(StandardCharsets.UTF_8));
            }
        }
    }
}
