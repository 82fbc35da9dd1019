package io.chorus.driver.report;

import java.util.List;

import io.chorus.driver.report.Summary.Column;
import io.chorus.driver.report.Summary.Row;

/**
 * report/metrics.csv: a row per model and ensemble with the summary's columns and the validation metrics,
 * for spreadsheets and scripts. Values are written as Java prints doubles (the shortest form that reads back
 * as the same value); an unknown value is an empty field.
 */
public final class MetricsCsv {
    public static final String HEADER = "name,kind,test_accuracy,test_nll,test_brier,test_ece,validation_accuracy,"
            + "validation_nll,inference_seconds,parameters,train_seconds,method";

    private MetricsCsv() {
    }

    public static String of(List<Row> rows) {
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
            s.append(',').append(field(r.method())).append('\n');
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
