package io.chorus.driver.eval;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import io.chorus.worker.data.Corruptions;
import io.chorus.worker.fs.HadoopFiles;

/**
 * One model's class probabilities on the first {@code examples} test images under dataset shift, as
 * {@code eval/probs-shift/<model-id>.csv.gz}: gzip'd CSV, header {@code kind,severity,index,label,p0,...},
 * one row per (kind, severity 1..5, image), kinds in the order of the evaluation's settings, severities
 * ascending, images in test-split order. Severity 0 is not repeated here: it is the model's row in
 * eval/probs. Probabilities are written as the shortest decimal that reads back as the same float, as in
 * {@link ProbsCsv}.
 *
 * @param labels true classes of the images, {@code examples} of them
 * @param p      probabilities per condition ({@link #condition}), {@code examples x classes} floats, row-major
 */
public record ShiftProbs(int[] labels, float[][] p) {
    public static final String SUFFIX = ".csv.gz";

    /** The index of (kind number {@code k} in the settings' order, severity 1..5) in {@link #p}. */
    public static int condition(int k, int severity) {
        return k * Corruptions.SEVERITIES + severity - 1;
    }

    /**
     * Writes a model's file.
     *
     * @param probs per condition, {@code labels.length x classes} floats
     */
    public static void write(FileSystem fs, Path target, List<String> kinds, int[] labels, float[][] probs, int classes)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(bytes, 1 << 16), StandardCharsets.UTF_8)) {
            StringBuilder sb = new StringBuilder("kind,severity,index,label");
            for (int c = 0; c < classes; c++) {
                sb.append(",p").append(c);
            }
            w.append(sb).append('\n');
            for (int k = 0; k < kinds.size(); k++) {
                for (int s = 1; s <= Corruptions.SEVERITIES; s++) {
                    float[] p = probs[condition(k, s)];
                    for (int i = 0; i < labels.length; i++) {
                        sb.setLength(0);
                        sb.append(kinds.get(k)).append(',').append(s).append(',').append(i).append(',').append(labels[i]);
                        for (int c = 0; c < classes; c++) {
                            sb.append(',').append(p[i * classes + c]);
                        }
                        w.append(sb).append('\n');
                    }
                }
            }
        }
        HadoopFiles.writeAtomically(fs, target, bytes.toByteArray());
    }

    /**
     * Reads a file written by {@link #write} for these kinds, {@code examples} images and {@code classes} classes;
     * a row out of place or malformed is an error naming the file and line.
     */
    public static ShiftProbs read(FileSystem fs, Path file, List<String> kinds, int examples, int classes)
            throws IOException {
        int[] labels = new int[examples];
        float[][] p = new float[kinds.size() * Corruptions.SEVERITIES][examples * classes];
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(fs.open(file)),
                StandardCharsets.UTF_8))) {
            String header = r.readLine();
            if (header == null || !header.startsWith("kind,severity,index,label,p0")
                    || header.split(",").length != classes + 4) {
                throw new IOException(file + ": not a Chorus shift probability file of " + classes + " classes (header "
                        + header + ")");
            }
            int line = 1;
            for (int k = 0; k < kinds.size(); k++) {
                for (int s = 1; s <= Corruptions.SEVERITIES; s++) {
                    float[] into = p[condition(k, s)];
                    for (int i = 0; i < examples; i++) {
                        String row = r.readLine();
                        line++;
                        String expected = kinds.get(k) + "," + s + "," + i + ",";
                        if (row == null || !row.startsWith(expected)) {
                            throw new IOException(file + ": line " + line + " should begin " + expected + " but is "
                                    + (row == null ? "missing" : "'" + abbreviate(row) + "'"));
                        }
                        String[] f = row.split(",");
                        if (f.length != classes + 4) {
                            throw new IOException(file + ": line " + line + " has " + f.length + " fields, expected "
                                    + (classes + 4));
                        }
                        try {
                            int label = Integer.parseInt(f[3]);
                            if (k == 0 && s == 1) {
                                labels[i] = label;
                            } else if (labels[i] != label) {
                                throw new IOException(file + ": line " + line + ": image " + i + " has label " + label
                                        + " here and " + labels[i] + " under " + kinds.get(0) + " severity 1");
                            }
                            for (int c = 0; c < classes; c++) {
                                into[i * classes + c] = Float.parseFloat(f[c + 4]);
                            }
                        } catch (NumberFormatException e) {
                            throw new IOException(file + ": line " + line + ": " + e.getMessage(), e);
                        }
                    }
                }
            }
            String extra = r.readLine();
            if (extra != null) {
                throw new IOException(file + ": line " + (line + 1) + ": more rows than " + kinds.size() + " kind(s) x "
                        + Corruptions.SEVERITIES + " severities x " + examples + " images");
            }
        }
        return new ShiftProbs(labels, p);
    }

    private static String abbreviate(String row) {
        return row.length() > 60 ? row.substring(0, 60) + "..." : row;
    }
}
