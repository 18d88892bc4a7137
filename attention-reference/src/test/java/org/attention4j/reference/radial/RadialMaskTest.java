package org.attention4j.reference.radial;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import org.attention4j.Attention;
import org.attention4j.RadialModel;
import org.attention4j.radial.RadialMask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The shared {@link RadialMask} of attention-api against the worked block masks of spec 6.3 (byte for
 * byte), the P = 3840 width table, the partial-block example of 6.2, the Wan sink, and the literal
 * token-level construction of 6.2 ({@link SpecRadialMask}) on unaligned frames with text.
 */
class RadialMaskTest {

    /** Block rows {@code from..to-1}, '#' kept, '.' dropped, a '|' between groups of {@code group} blocks. */
    private static String[] rows(RadialMask m, int from, int to, int group) {
        String[] r = new String[to - from];
        for (int a = from; a < to; a++) {
            StringBuilder sb = new StringBuilder();
            for (int b = 0; b < m.numBlocks(); b++) {
                if (b > 0 && b % group == 0) sb.append('|');
                sb.append(m.kept(a, b) ? '#' : '.');
            }
            r[a - from] = sb.toString();
        }
        return r;
    }

    @Test
    void hunyuanP1024F8Delta1RowsOfQueryFrame3AsPrintedInSpec63() {
        RadialMask m = Attention.radial(8, 1024).blockSize(128).model(RadialModel.HUNYUAN).decayFactor(1.0).build().blockMask(8 * 1024);
        assertThat(m.numBlocks()).isEqualTo(64);
        assertThat(rows(m, 24, 32, 8)).containsExactly(
                "#####...|#####...|########|########|########|#####...|#####...|###.....",
                "######..|######..|########|########|########|######..|######..|####....",
                "#######.|#######.|########|########|########|#######.|#######.|#####...",
                "########|########|########|########|########|########|########|.#####..",
                "########|########|########|########|########|########|########|..#####.",
                ".#######|.#######|########|########|########|.#######|.#######|...#####",
                "..######|..######|########|########|########|..######|..######|....####",
                "...#####|...#####|########|########|########|...#####|...#####|.....###");
        assertThat(m.density()).isCloseTo(0.79, offset(0.005));
    }

    @Test
    void halvingTheDecayFactorHalvesTheBandsBeyondTheAdjacentFrames() {
        RadialMask full = RadialMask.of(8 * 1024, 8, 8 * 1024, 128, 1.0, RadialModel.HUNYUAN);
        RadialMask half = RadialMask.of(8 * 1024, 8, 8 * 1024, 128, 0.5, RadialModel.HUNYUAN);
        String[] r = rows(half, 24, 32, 8);
        assertThat(r[0].split("\\|")[1]).as("top row of key frame 1").isEqualTo("###.....");
        for (int a = 24; a < 32; a++) {
            for (int b = 0; b < 64; b++) {
                int d = Math.abs(3 - b / 8);
                if (d <= 1) {
                    assertThat(half.kept(a, b)).as("d <= 1 stays dense (%d, %d)", a, b).isTrue();
                } else if (half.kept(a, b)) {
                    assertThat(full.kept(a, b)).as("a narrower band is inside the wider one (%d, %d)", a, b).isTrue();
                }
            }
        }
        assertThat(half.density()).isLessThan(full.density());
    }

    /**
     * Whether key block {@code offset} blocks right of the query block is kept inside a block-aligned tile
     * whose band is {@code |c - r| <= width}: the column-density rule of spec 6.2 applied to that one pair.
     */
    private static boolean bandKeeps(double width, int offset, int bk) {
        int high = 0, nonzero = 0;
        for (int x = 0; x < bk; x++) {
            int count = 0;
            for (int y = 0; y < bk; y++) {
                if (Math.abs(offset * bk + x - y) <= width) count++;
            }
            if (count > bk / 3.0) high++;
            if (count > 0) nonzero++;
        }
        return high / (nonzero + 1e-9) > 0.6;
    }

    @Test
    void wanP3840Delta02FollowsTheWidthTable() {
        int frames = 34, p = 3840, bk = 128, perFrame = p / bk;
        RadialMask m = RadialMask.of(frames * p, frames, frames * p, bk, 0.2, RadialModel.WAN);
        assertThat(m.numBlocks()).isEqualTo(frames * perFrame);
        // Spec 6.3: width 3840 (dense) for d = 0, 1; 204.8 for d = 2, 3; 128 for d >= 4. Every pair kept up to
        // d = 31, then every 2nd distance for 32..63. Key frame 0 is Wan's sink.
        boolean[] keeps204 = new boolean[2 * perFrame], keeps128 = new boolean[2 * perFrame];
        for (int off = -perFrame + 1; off < perFrame; off++) {
            keeps204[off + perFrame] = bandKeeps(204.8, off, bk);
            keeps128[off + perFrame] = bandKeeps(128, off, bk);
        }
        for (int qa = 0; qa < m.numBlocks(); qa++) {
            for (int kb = 0; kb < m.numBlocks(); kb++) {
                int i = qa / perFrame, j = kb / perFrame, d = Math.abs(i - j);
                boolean want;
                if (j == 0 || d <= 1) {
                    want = true;
                } else {
                    boolean pairKept = d <= 31 || (d <= 63 && d % 2 == 0);
                    int off = kb % perFrame - qa % perFrame + perFrame;
                    want = pairKept && (d <= 3 ? keeps204[off] : keeps128[off]);
                }
                if (m.kept(qa, kb) != want) {
                    throw new AssertionError("block (" + qa + ", " + kb + "), frames " + i + "->" + j + ": expected " + want);
                }
            }
        }
        // At Bk = 128 both band widths shrink to one block either side; the width-128 band keeps its
        // neighbours only because 86 of 128 columns are dense (> 0.6), the 204.8 band with all 128.
        assertThat(bandKeeps(128, 1, bk)).isTrue();
        assertThat(bandKeeps(128, 2, bk)).isFalse();
        assertThat(bandKeeps(204.8, 2, bk)).isFalse();
    }

    @Test
    void twelveFramesOf200TokensWithBlocksOf64UseThePartialBlockConvention() {
        RadialMask m = Attention.radial(12, 200).blockSize(64).model(RadialModel.WAN).build().blockMask(2400);
        assertThat(m.numBlocks()).as("nb = ceil(2400 / 64)").isEqualTo(38);
        int border = 2400 / 64;
        assertThat(border).isEqualTo(37);
        for (int b = 0; b < 38; b++) {
            assertThat(m.kept(37, b)).as("block row 37").isTrue();
            assertThat(m.kept(b, 37)).as("block column 37").isTrue();
        }
        assertThat(Math.round(m.density() * 1e4) / 1e4).isEqualTo(0.5596);
        assertSameAsSpec(m, SpecRadialMask.build(2400, 12, 2400, 64, 1.0, true));
    }

    @Test
    void wanKeyFrame0IsASinkForEveryQueryAndHunyuanHasNone() {
        int frames = 8, p = 256, bk = 128;
        RadialMask wan = RadialMask.of(frames * p, frames, frames * p, bk, 1.0, RadialModel.WAN);
        RadialMask hunyuan = RadialMask.of(frames * p, frames, frames * p, bk, 1.0, RadialModel.HUNYUAN);
        for (int qa = 0; qa < wan.numBlocks(); qa++) {
            assertThat(wan.kept(qa, 0) && wan.kept(qa, 1)).as("Wan query block %d sees key frame 0", qa).isTrue();
        }
        // Hunyuan: frame 7 is 7 frames from frame 0; with Pp = 512, Pp / 2^3 = 64 < 128 keeps only even
        // distances (split factor 2), so that frame pair is dropped entirely.
        for (int qa = 14; qa < 16; qa++) {
            assertThat(hunyuan.kept(qa, 0) || hunyuan.kept(qa, 1)).as("Hunyuan query block %d, key frame 0", qa).isFalse();
        }
        assertThat(wan.density()).isGreaterThan(hunyuan.density());
    }

    @ParameterizedTest(name = "F={0} P={1} text={2} Bk={3} delta={4} wan={5}")
    @CsvSource({
            "5, 100, 37, 64, 1.0, true",     // frames straddle blocks, text with a partial tail block
            "6, 192, 0, 64, 0.5, false",
            "9, 40, 11, 64, 1.0, true",      // P < Bk: several frames per block
            "20, 24, 0, 64, 1.0, false",     // Pp / 2 < 128: even adjacent frames drop out
            "4, 300, 100, 128, 0.7, false",
            "3, 1000, 64, 128, 1.0, true"})
    void agreesWithTheLiteralTokenLevelConstruction(int frames, int p, int text, int bk, double delta, boolean wan) {
        int nv = frames * p;
        RadialMask m = RadialMask.of(nv, frames, nv + text, bk, delta, wan ? RadialModel.WAN : RadialModel.HUNYUAN);
        assertSameAsSpec(m, SpecRadialMask.build(nv, frames, nv + text, bk, delta, wan));
    }

    private static void assertSameAsSpec(RadialMask m, boolean[][] want) {
        assertThat(m.numBlocks()).isEqualTo(want.length);
        for (int a = 0; a < want.length; a++) {
            for (int b = 0; b < want.length; b++) {
                if (m.kept(a, b) != want[a][b]) {
                    throw new AssertionError("block (" + a + ", " + b + "): expected " + want[a][b] + "\n" + m.render());
                }
            }
        }
    }
}
