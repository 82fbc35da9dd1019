package io.chorus.worker.train;

import java.io.IOException;

import org.apache.hadoop.conf.Configuration;

import io.chorus.worker.data.DataFiles;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.data.Normalization;
import io.chorus.worker.data.Split;

/**
 * The data every member of a job shares: training examples, the validation split carved from them by
 * the JOB seed (so weighting and selection later see the same validation examples for all members), and
 * the normalization fitted on the training part alone.
 */
public record PreparedData(ImageData train, ImageData validation, Normalization normalization) {

    public static PreparedData load(DataSpec spec, long jobSeed, Configuration conf) throws IOException {
        String dir = DataFiles.resolveDir(spec.dir());
        return prepare(DataFiles.loadTrain(dir, spec.classes(), conf), spec, jobSeed);
    }

    public static PreparedData prepare(ImageData all, DataSpec spec, long jobSeed) {
        ImageData used = spec.limit() > 0 ? all.limit(spec.limit()) : all;
        if (spec.validation() >= used.size()) {
            throw new IllegalArgumentException("data.validation: " + spec.validation()
                    + " validation examples leave none to train on; only " + used.size() + " training examples"
                    + (spec.limit() > 0 ? " (data.limit = " + spec.limit() + ")" : "") + " are available");
        }
        Split split = Split.carve(used, spec.validation(), jobSeed);
        return new PreparedData(split.train(), split.validation(), Normalization.fit(split.train()));
    }

    public ImageShape shape() {
        return train.shape();
    }

    public int classes() {
        return train.numClasses();
    }
}
