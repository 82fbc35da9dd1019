package io.chorus.driver;

import io.chorus.worker.engine.Backend;

/**
 * ND4J's backend must load in the driver before a job reads or trains anything: the driver builds and scores
 * networks too, and the CUDA build (-Pcuda) carries no CPU backend to fall back on. A host where it cannot
 * load (no GPU, no NVIDIA driver, no CUDA 11 libraries) is refused with exit 2 and the cause in one line.
 */
final class BackendCheck {
    private BackendCheck() {
    }

    static void require() throws BadInputException {
        try {
            Backend.load();
        } catch (Backend.UnavailableException e) {
            throw new BadInputException(e.getMessage(), e);
        }
    }
}
