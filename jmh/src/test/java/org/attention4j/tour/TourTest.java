package org.attention4j.tour;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command runs this tour; the quick variant keeps it from rotting. */
class TourTest {
    @TempDir
    Path dir;

    @Test
    void everyOperatorRunsOnSomeBackendMatchesTheReferenceAndIsCharted() throws IOException {
        System.setProperty("java.awt.headless", "true");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<Tour.Row> rows = new Tour(true, new PrintStream(buf, true, StandardCharsets.UTF_8), dir).run();
        String text = buf.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("operator").contains("backend").contains("rel. error").contains("[8/8]")
                .contains("chart: " + dir.resolve("tour-timings.png").toAbsolutePath());
        assertThat(rows).hasSize(8);
        for (Tour.Row r : rows) {
            assertThat(r.note()).as(r.operator() + ": " + r.note()).isNull();
            assertThat(r.relError()).as(r.operator()).isLessThan(1e-3);
            assertThat(r.timings()).as(r.operator()).containsKey(r.backend()).containsKey("reference");
        }
        assertThat(Files.readString(dir.resolve("tour.txt"))).contains("local-linear (LLA)").contains("reference ");
        BufferedImage png = ImageIO.read(dir.resolve("tour-timings.png").toFile());
        assertThat(png).isNotNull();
        assertThat(png.getWidth()).isEqualTo(TimingChart.WIDTH);
    }
}
