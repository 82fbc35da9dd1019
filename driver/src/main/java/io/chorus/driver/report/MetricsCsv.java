package io.chorus.driver.report;

import java.util.List;
import java.util.Optional;

import io.chorus.driver.report.Summary.Column;
import io.chorus.driver.report.Summary.Row;

/**
 * report/metrics.csv: a row per model and ensemble with the summary's columns and the validation metrics,
 * for spreadsheets and scripts, and for the models and ensembles scored under dataset shift their accuracy, NLL
 * and ECE at the worst severity, mean over the corruption kinds (empty for the others). Values are written as Java prints doubles (the shortest form that reads back
 * as the same value); an unknown value is an empty field.
 */
public final class MetricsCsv {
    public static final String HEADER = "name,kind,test_accuracy,test_nll,test_brier,test_ece,validation_accuracy,"
            + "validation_nll,inference_seconds,parameters,train_seconds,method,shift_accuracy,shift_nll,shift_ece";

    private MetricsCsv() {
    }

    public static String of(List<Row> rows) {
        return of(rows, Optional.empty());
    }

    public static String of(List<Row> rows, Optional<ShiftData> shift) {
        StringBuilder s = new StringBuilder(HEADER).append('\n');
        for (Row r : rows) {
            s.append(field(r.name())).append(',').append(field(r.kind()));
            for (Column c : List.of(Column.ACCURACY, Column.NLL, Column.BRIER, Column.ECE)) {
                s.append(',').append(number(r.get(c)));
            }
            s.append(',').append(number(r.validationAccuracy())).append(',').append(number(r.validationNll()));
            s.append(',').append(number(r.get(Column.INFERENCE)));
            Double p = r.get(Column.PARAMETERS);
            s.append(',').append(p == null ? "" : Long.toString(Math.round(p)));
            s.append(',').append(number(r.get(Column.TRAINING)));
            s.append(',').append(field(r.method()));
            Optional<ShiftData.Figures> f = shift.flatMap(d -> d.line(r.name())).map(ShiftData.Line::worstMean);
            for (Double v : f.map(x -> new Double[] {x.accuracy(), x.nll(), x.ece()}).orElse(new Double[3])) {
                s.append(',').append(number(v));
            }
            s.append('\n');
        }
        return s.toString();
    }

    private static String number(Double v) {
        return v == null || !Double.isFinite(v) ? "" : Double.toString(v);
    }

    /** RFC 4180 quoting where needed. */
    static String field(String v) {
        if (v == null) {
            return "";
        }
        if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0) {
            return '"' + v.replace("\"", "\"\"") + '"';
        }
        return v;
    }

}
