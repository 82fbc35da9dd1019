package io.chorus.driver.eval;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import io.chorus.driver.run.Tasks;
import io.chorus.ensemble.heads.Backbone;
import io.chorus.ensemble.heads.HeadSpec;
import io.chorus.ensemble.heads.HeadTrainer;
import io.chorus.ensemble.swa.BatchNormStatistics;
import io.chorus.ensemble.swa.TrajectoryAverage;
import io.chorus.worker.data.BatchSource;
import io.chorus.worker.data.ImageData;
import io.chorus.worker.data.Normalization;

/**
 * Models evaluation builds from the trained ones, each in its own task: a member's trajectory average
 * (SWA) with batch-norm statistics recomputed over the training split, the cross-member average when
 * asked for (to show that it fails), and the classifier heads of an FC-head-only ensemble. Each is
 * written to {@code eval/models/<id>.zip}; eval/models.json, written afterwards by the driver, is what
 * makes it count.
 */
final class DerivedModels {
    private static final Map<String, Object[]> FEATURES = new ConcurrentHashMap<>();

    private DerivedModels() {
    }

    /** One model to build. */
    sealed interface Item extends Serializable permits Swa, CrossAverage, Head {
        String id();
    }

    /** A member's trajectory average over its SWA snapshots (one trajectory). */
    record Swa(String id, int member, List<ModelRef> snapshots, int bnBatch, String out) implements Item {
    }

    /** The parameter average of different members: permutation symmetry makes it useless; shown as such. */
    record CrossAverage(String id, List<ModelRef> finals, int bnBatch, String out) implements Item {
    }

    /** Head {@code index} of the FC-head-only ensemble, trained on the frozen backbone's features. */
    record Head(String id, int index, ModelRef backbone, HeadSpec spec, String out) implements Item {
    }

    /** What a task built. */
    record Built(String id, String path, String sha256, long parameters, double seconds, String note)
            implements Serializable {
    }

    /** @param scope the evaluation these tasks belong to, for {@link ModelStore}'s cache */
    static Tasks.Body<Item, Built> body(String scope, Tasks.Shared<EvalData> data) {
        return (item, conf) -> build(scope, item, data.get(), conf);
    }

    static Built build(String scope, Item item, EvalData data, Configuration conf) throws IOException {
        long start = System.nanoTime();
        ComputationGraph net;
        String note;
        String out;
        if (item instanceof Swa s) {
            TrajectoryAverage avg = new TrajectoryAverage(false);
            for (ModelRef r : s.snapshots()) {
                avg.add(ModelStore.read(r.path(), r.sha256(), conf), "m" + s.member());
            }
            net = avg.result();
            int bn = BatchNormStatistics.recompute(net, batches(data, s.snapshots().get(0).normalization(), s.bnBatch()));
            note = s.snapshots().size() + " snapshots of member " + s.member() + " averaged; " + bn
                    + " batch-norm layer(s) recomputed over the training split";
            out = s.out();
        } else if (item instanceof CrossAverage c) {
            TrajectoryAverage avg = new TrajectoryAverage(true);
            for (ModelRef r : c.finals()) {
                avg.add(ModelStore.read(r.path(), r.sha256(), conf), "m" + r.member());
            }
            net = avg.result();
            int bn = BatchNormStatistics.recompute(net, batches(data, c.finals().get(0).normalization(), c.bnBatch()));
            note = "parameters of " + c.finals().size() + " independently trained members averaged (permutation "
                    + "symmetry: expected to fail); " + bn + " batch-norm layer(s) recomputed";
            out = c.out();
        } else {
            Head h = (Head) item;
            Object[] f = features(scope, h.backbone(), data, conf);
            net = HeadTrainer.train((INDArray) f[0], (int[]) f[1], data.spec().classes(), h.spec());
            note = "head " + h.index() + " on the features of member " + h.backbone().member();
            out = h.out();
        }
        Path target = new Path(out);
        FileSystem fs = target.getFileSystem(conf);
        String sha = ModelStore.write(net, fs, target);
        return new Built(item.id(), target.toString(), sha, net.numParams(), (System.nanoTime() - start) / 1e9, note);
    }

    /** The training split in order, normalized, in batches, as the batch-norm recomputation reads it. */
    private static Iterator<DataSet> batches(EvalData data, Normalization norm, int batch) throws IOException {
        ImageData train = data.prepared().train();
        List<int[]> ranges = new ArrayList<>();
        for (int from = 0; from < train.size(); from += batch) {
            ranges.add(new int[] {from, Math.min(train.size(), from + batch)});
        }
        Iterator<int[]> it = ranges.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public DataSet next() {
                int[] r = it.next();
                return BatchSource.toDataSet(train, norm, r[0], r[1]);
            }
        };
    }

    /**
     * The backbone's features of the whole training split and the labels, computed once per JVM and
     * shared by every head trained here.
     */
    private static Object[] features(String scope, ModelRef backbone, EvalData data, Configuration conf) throws IOException {
        String key = backbone.path() + "#" + backbone.sha256();
        Object[] cached = FEATURES.get(key);
        if (cached != null) {
            return cached;
        }
        synchronized (FEATURES) {
            cached = FEATURES.get(key);
            if (cached == null) {
                ImageData train = data.prepared().train();
                List<INDArray> parts = new ArrayList<>();
                // The backbone's features on the engine when it compiles the member (they are what heads
                // train on, and the one expensive part of head training).
                try (ModelStore.Lease lease = ModelStore.borrow(scope, backbone.path(), backbone.sha256(), conf)) {
                    Backbone b = lease.backbone(train.shape());
                    for (int from = 0; from < train.size(); from += 500) {
                        int to = Math.min(train.size(), from + 500);
                        parts.add(b.features(BatchSource.toDataSet(train, backbone.normalization(), from, to).getFeatures()));
                    }
                }
                FEATURES.clear();
                cached = new Object[] {Nd4j.concat(0, parts.toArray(new INDArray[0])), train.labels().clone()};
                FEATURES.put(key, cached);
            }
            return cached;
        }
    }
}
