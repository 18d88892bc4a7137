package org.attention4j.tour;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's first command runs this tour; the quick variant keeps it from rotting. */
class TourTest {
    @Test
    void everyOperatorRunsOnSomeBackendAndMatchesTheReference() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<Tour.Row> rows = new Tour(true, new PrintStream(buf, true, StandardCharsets.UTF_8)).run();
        String text = buf.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("operator").contains("backend").contains("rel. error");
        assertThat(rows).hasSize(8);
        for (Tour.Row r : rows) {
            assertThat(r.note()).as(r.operator() + ": " + r.note()).isNull();
            assertThat(r.relError()).as(r.operator()).isLessThan(1e-3);
        }
    }
}
