package io.chorus.driver.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Nesterovs;

import io.chorus.worker.data.ImageShape;
import io.chorus.worker.fs.HadoopFiles;
import io.chorus.worker.train.SnapshotCorruptException;
import io.chorus.worker.train.UnsafeModelException;
import io.chorus.worker.zoo.ActivationKind;
import io.chorus.worker.zoo.Architecture;
import io.chorus.worker.zoo.BlockKind;
import io.chorus.worker.zoo.ModelSpec;
import io.chorus.worker.zoo.ModelZoo;
import io.chorus.worker.zoo.WeightInitKind;

/** {@link ModelStore#read} checks the SHA-256 first, then loads only zips holding the entries Chorus writes. */
class ModelStoreSafeLoadTest {
    @TempDir
    File tmp;

    @Test
    void derivedModelLoadsAndAPlantedPreprocessorIsRefused() throws IOException {
        Configuration conf = new Configuration();
        Path target = new Path(tmp.getAbsolutePath(), "models/swa.zip");
        FileSystem fs = HadoopFiles.fileSystem(target, conf);
        ModelSpec spec = new ModelSpec(Architecture.LENET, WeightInitKind.HE, 0.01, ActivationKind.RELU, false, 0.0, 2, 16,
                BlockKind.BASIC);
        ComputationGraph net = ModelZoo.build(spec, new ImageShape(8, 8, 1), 10, 1, new Nesterovs(0.01, 0.9), 0.0);
        String sha = ModelStore.write(net, fs, target);
        assertEquals(net.params(), ModelStore.read(target.toString(), sha, conf).params());

        byte[] planted = withPreprocessor(HadoopFiles.readAll(fs, target));
        HadoopFiles.writeAtomically(fs, target, planted);
        SnapshotCorruptException corrupt = assertThrows(SnapshotCorruptException.class,
                () -> ModelStore.read(target.toString(), sha, conf));
        assertFalse(corrupt instanceof UnsafeModelException, "the checksum is checked first: " + corrupt.getMessage());

        UnsafeModelException unsafe = assertThrows(UnsafeModelException.class,
                () -> ModelStore.read(target.toString(), HadoopFiles.sha256(planted), conf));
        assertTrue(unsafe.getMessage().contains(target.toString()) && unsafe.getMessage().contains("'preprocessor.bin'"),
                unsafe.getMessage());
    }

    private static byte[] withPreprocessor(byte[] zip) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip));
             ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry("preprocessor.bin"));
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            try (ObjectOutputStream o = new ObjectOutputStream(payload)) {
                o.writeObject(new HashMap<String, String>());
            }
            out.write(payload.toByteArray());
            out.closeEntry();
        }
        return bytes.toByteArray();
    }
}
