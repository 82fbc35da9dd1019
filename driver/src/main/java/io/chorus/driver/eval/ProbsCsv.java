package io.chorus.driver.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.worker.fs.HadoopFiles;

/**
 * One model's class probabilities on one split, as {@code eval/probs/<model-id>.csv} (test) or
 * {@code eval/probs-validation/<model-id>.csv}: header {@code index,label,p0,...,p{K-1}}, one row per
 * example in split order; {@code index} is the example's position in its split (for the test split, in
 * the test files). Probabilities are written as the shortest decimal that reads back as the same float,
 * so metrics recomputed from these files equal those computed when they were written.
 *
 * @param index  example positions
 * @param labels true classes
 * @param p      probabilities, one row per example
 */
public record ProbsCsv(int[] index, int[] labels, double[][] p) {

    public static void write(FileSystem fs, Path target, int firstIndex, int[] labels, float[] flat, int classes)
            throws IOException {
        StringBuilder sb = new StringBuilder(labels.length * (classes * 12 + 12));
        sb.append("index,label");
        for (int k = 0; k < classes; k++) {
            sb.append(",p").append(k);
        }
        sb.append('\n');
        for (int i = 0; i < labels.length; i++) {
            sb.append(firstIndex + i).append(',').append(labels[i]);
            for (int k = 0; k < classes; k++) {
                sb.append(',').append(flat[i * classes + k]);
            }
            sb.append('\n');
        }
        HadoopFiles.writeAtomically(fs, target, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a file written by {@link #write}; any malformed line is an error naming the file and line. */
    public static ProbsCsv read(FileSystem fs, Path file) throws IOException {
        List<int[]> meta = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        int classes = -1;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
            String header = r.readLine();
            if (header == null || !header.startsWith("index,label,p0")) {
                throw new IOException(file + ": not a Chorus probability file (header " + header + ")");
            }
            classes = header.split(",").length - 2;
            String line;
            int lineNo = 1;
            while ((line = r.readLine()) != null) {
                lineNo++;
                String[] f = line.split(",");
                if (f.length != classes + 2) {
                    throw new IOException(file + ": line " + lineNo + " has " + f.length + " fields, expected " + (classes + 2));
                }
                try {
                    meta.add(new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])});
                    double[] p = new double[classes];
                    for (int k = 0; k < classes; k++) {
                        p[k] = Float.parseFloat(f[k + 2]);
                    }
                    rows.add(p);
                } catch (NumberFormatException e) {
                    throw new IOException(file + ": line " + lineNo + ": " + e.getMessage(), e);
                }
            }
        }
        int[] index = new int[meta.size()];
        int[] labels = new int[meta.size()];
        for (int i = 0; i < index.length; i++) {
            index[i] = meta.get(i)[0];
            labels[i] = meta.get(i)[1];
        }
        return new ProbsCsv(index, labels, rows.toArray(new double[0][]));
    }
}
