package io.chorus.driver;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** The versions a run records: Chorus, DL4J (as built), Spark (as running), Java. */
public final class Versions {
    private Versions() {
    }

    public static Map<String, String> of(String sparkVersion) {
        Properties p = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("/chorus-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("chorus-version.properties is unreadable", e);
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put("chorus", p.getProperty("chorus", "unknown"));
        v.put("dl4j", p.getProperty("dl4j", "unknown"));
        v.put("spark", sparkVersion);
        v.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        return v;
    }
}
