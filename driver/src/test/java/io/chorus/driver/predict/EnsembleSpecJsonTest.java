package io.chorus.driver.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.chorus.ensemble.combine.Combiner;
import io.chorus.ensemble.combine.MajorityVote;
import io.chorus.ensemble.combine.MeanAverage;
import io.chorus.ensemble.combine.SelectionAverage;
import io.chorus.ensemble.combine.TemperatureScaled;
import io.chorus.ensemble.combine.WeightedAverage;
import io.chorus.worker.data.ImageShape;
import io.chorus.worker.fs.Json;

/**
 * A saved model's ensembles.json: every combiner and the fitted temperature come back as they were written,
 * and what models saved before combiners had a kind wrote (a vote flag and weights) still loads.
 */
class EnsembleSpecJsonTest {

    private static EnsembleSpec roundTrip(EnsembleSpec spec) throws IOException {
        return EnsembleSpec.fromJson(Json.MAPPER.readTree(Json.write(spec.toJson())));
    }

    @Test
    void everyCombinerAndTheTemperatureRoundTrip() throws IOException {
        ImageShape shape = new ImageShape(28, 28, 1);
        for (Combiner c : List.<Combiner>of(new MeanAverage(), new MajorityVote(),
                new WeightedAverage(new double[] {0.75, 0.25}), new SelectionAverage(new int[] {3, 2}),
                new TemperatureScaled(new SelectionAverage(new int[] {1, 4}), 1.75))) {
            EnsembleSpec spec = new EnsembleSpec("selection", c, List.of(), 10, shape, 1.75);
            EnsembleSpec back = roundTrip(spec);
            assertEquals(c, back.combiner(), c.name());
            assertEquals(1.75, back.fittedTemperature(), 0.0);
            assertEquals(shape, back.shape());
            assertEquals(10, back.classes());
            assertEquals(spec.calibrated().combiner(), back.calibrated().combiner());
        }
        assertEquals(null, roundTrip(new EnsembleSpec("vote", new MajorityVote(), List.of(), 10, shape, null))
                .fittedTemperature());
    }

    @Test
    void theFormatWithAVoteFlagAndWeightsLoads() throws IOException {
        String shape = "\"shape\":" + new String(Json.write(new ImageShape(28, 28, 1)), java.nio.charset.StandardCharsets.UTF_8);
        EnsembleSpec vote = EnsembleSpec.fromJson(Json.MAPPER.readTree("{\"name\":\"vote\",\"vote\":true,\"models\":[],"
                + "\"weights\":[0.5,0.5],\"classes\":10," + shape + "}"));
        assertEquals(new MajorityVote(), vote.combiner());
        EnsembleSpec weighted = EnsembleSpec.fromJson(Json.MAPPER.readTree("{\"name\":\"selection\",\"vote\":false,"
                + "\"models\":[],\"weights\":[0.25,0.75],\"classes\":10," + shape + "}"));
        assertEquals(new WeightedAverage(new double[] {0.25, 0.75}), weighted.combiner());
        assertEquals(null, weighted.fittedTemperature());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, weighted::calibrated);
        assertTrue(none.getMessage().contains("ensemble selection cannot be calibrated"), none.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> EnsembleSpec.fromJson(
                Json.MAPPER.readTree("{\"name\":\"x\",\"combiner\":{\"kind\":\"median\"},\"models\":[],\"classes\":10,"
                        + shape + "}")));
        assertTrue(unknown.getMessage().contains("combiner kind \"median\" is not known"), unknown.getMessage());
    }
}
