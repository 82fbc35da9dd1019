package io.chorus.worker.engine.onednn;

import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_ab;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcd;

/** Plain (row-major) format tags, the layout DL4J's NCHW arrays and flat parameter views have. */
final class Layouts {
    private Layouts() {
    }

    /** x, nc/oi, nchw/oihw by rank. */
    static int plainTag(int rank) {
        return switch (rank) {
            case 1 -> dnnl_a;
            case 2 -> dnnl_ab;
            case 4 -> dnnl_abcd;
            default -> throw new IllegalArgumentException("no plain layout for rank " + rank);
        };
    }
}
