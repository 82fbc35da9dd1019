package io.chorus.driver.eval;

import java.io.Serializable;
import java.util.List;

import io.chorus.worker.data.Normalization;

/**
 * One model of a run's library, as eval/models.json lists it: a member's final network, one of its
 * snapshots, or a model evaluation derived from them. Every file is named with its SHA-256; a reader
 * loads nothing whose bytes do not match.
 *
 * @param id            stable name, also the probability file's name: {@code m0}, {@code m0-s3},
 *                      {@code m0-swa}, {@code cross-average}, {@code heads-h2}, {@code m1-mcd}
 * @param kind          what it is
 * @param member        the member it comes from (the backbone's member for heads), -1 for none
 * @param path          the model file (URI)
 * @param sha256        its checksum
 * @param normalization pixel normalization of the member's training data
 * @param epoch         epoch of a snapshot (0 for others)
 * @param iteration     iteration of a snapshot (0 for others), to order a trajectory
 * @param snapshotKinds why a snapshot was taken (epoch, cycle, swa, final)
 * @param headOf        for heads and MC dropout: the backbone model's file and checksum
 * @param headOfSha256  checksum of {@code headOf}
 * @param passes        MC dropout passes (0 for others)
 * @param seed          MC dropout seed
 */
public record ModelRef(String id, Kind kind, int member, String path, String sha256, Normalization normalization,
                       int epoch, long iteration, List<String> snapshotKinds, String headOf, String headOfSha256,
                       int passes, long seed) implements Serializable {

    /** What a library entry is. */
    public enum Kind {
        MEMBER, SNAPSHOT, SWA, CROSS_AVERAGE, HEAD, MC_DROPOUT,
        /** The reference model of compare.single_budget: one network trained for the ensemble's whole budget. */
        SINGLE_BUDGET;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    static ModelRef plain(String id, Kind kind, int member, String path, String sha256, Normalization n) {
        return new ModelRef(id, kind, member, path, sha256, n, 0, 0, List.of(), null, null, 0, 0);
    }
}
