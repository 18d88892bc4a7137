package org.attention4j.cpu.neighborhood;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.NeighborhoodAttention;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuBackend;
import org.attention4j.cpu.TestData;
import org.attention4j.cpu.vectorization.VectorizationProvider;
import org.attention4j.reference.ReferenceBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Fused neighborhood attention against the reference: spec 5.4's cases, 2-D/3-D, dilation with L mod d != 0. */
class CpuNeighborhoodTest {
    private static final SplittableRandom RND = TestData.random("CpuNeighborhoodTest");

    record Case(String name, NeighborhoodAttention op, int[] grid, int heads, int kvHeads, int d, int dv, DType dtype, boolean strided) {
        @Override
        public String toString() {
            return name + " " + dtype;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("1-D L=8 k=3", Attention.neighborhood(3).build(), new int[] {8}, 2, 2, 8, 8, DType.F32, false));
        cs.add(new Case("1-D L=8 k=4 (even)", Attention.neighborhood(4).build(), new int[] {8}, 1, 1, 8, 8, DType.F32, false));
        cs.add(new Case("1-D L=8 k=5 causal", Attention.neighborhood(5).causal(true).build(), new int[] {8}, 1, 1, 8, 8, DType.F32, false));
        cs.add(new Case("1-D L=10 k=3 d=3", Attention.neighborhood(3).dilation(3).build(), new int[] {10}, 1, 1, 8, 8, DType.F32, false));
        cs.add(new Case("1-D L=8 k=4 s=2 causal", Attention.neighborhood(4).stride(2).causal(true).build(), new int[] {8}, 1, 1, 8, 8, DType.F32, false));
        cs.add(new Case("1-D L=9 k=3 s=3 blocked", Attention.neighborhood(3).stride(3).build(), new int[] {9}, 1, 1, 8, 8, DType.F32, false));
        cs.add(new Case("1-D L=203 k=13 d=2 GQA", Attention.neighborhood(13).dilation(2).build(), new int[] {203}, 4, 2, 24, 16, DType.F32, true));
        cs.add(new Case("2-D 6x6 k=3 d=(2,1) causal (T,F)", Attention.neighborhood(3, 3).dilation(2, 1).causal(true, false).build(),
                new int[] {6, 6}, 2, 1, 16, 16, DType.F32, false));
        cs.add(new Case("2-D 19x23 k=(5,7) s=(1,2) d=(2,3)", Attention.neighborhood(5, 7).stride(1, 2).dilation(2, 3).build(),
                new int[] {19, 23}, 2, 2, 32, 24, DType.F32, true));
        cs.add(new Case("2-D 20x20 k=6 even, causal (F,T)", Attention.neighborhood(6, 6).causal(false, true).build(),
                new int[] {20, 20}, 1, 1, 64, 64, DType.F32, false));
        cs.add(new Case("3-D 5x6x7 k=3 causal (T,F,F) d=(1,2,1)", Attention.neighborhood(3, 3, 3).causal(true, false, false).dilation(1, 2, 1).build(),
                new int[] {5, 6, 7}, 2, 1, 16, 8, DType.F32, false));
        cs.add(new Case("3-D 8x9x10 k=(3,5,5) s=(1,2,1)", Attention.neighborhood(3, 5, 5).stride(1, 2, 1).build(),
                new int[] {8, 9, 10}, 1, 1, 32, 32, DType.F32, true));
        // Several query slabs and key tiles of several lines; a line longer than a key tile (k = 71).
        cs.add(new Case("2-D 40x37 k=13 GQA", Attention.neighborhood(13, 13).build(), new int[] {40, 37}, 4, 2, 32, 32, DType.F32, false));
        cs.add(new Case("2-D 9x90 k=(3,71) causal (F,T)", Attention.neighborhood(3, 71).causal(false, true).build(), new int[] {9, 90}, 1, 1, 16, 16, DType.F32, false));
        cs.add(new Case("3-D 9x12x20 k=7 d=(1,1,2)", Attention.neighborhood(7, 7, 7).dilation(1, 1, 2).build(), new int[] {9, 12, 20}, 2, 1, 16, 24, DType.F32, true));
        // A long causal 1-D window (k = 801: many key tiles per query tile), a 25 x 23 window (a box of several key
        // tiles per row), a strided causal last axis.
        cs.add(new Case("1-D L=1203 k=801 causal GQA", Attention.neighborhood(801).causal(true).build(), new int[] {1203}, 2, 1, 16, 8, DType.F32, false));
        cs.add(new Case("2-D 30x41 k=(25,23)", Attention.neighborhood(25, 23).build(), new int[] {30, 41}, 1, 1, 16, 16, DType.F32, true));
        cs.add(new Case("2-D 10x43 k=(3,9) s=(1,3) causal (F,T)", Attention.neighborhood(3, 9).stride(1, 3).causal(false, true).build(),
                new int[] {10, 43}, 2, 2, 8, 8, DType.F32, false));
        // The lane path: axis-1 lines not a multiple of four, several lane blocks with clamped borders, causal
        // axes (short windows masked per lane), dilation with L mod d != 0 on both axes, a 16-wide 3-D line.
        cs.add(new Case("2-D 21x35 k=(5,7) GQA", Attention.neighborhood(5, 7).build(), new int[] {21, 35}, 4, 2, 24, 40, DType.F32, true));
        cs.add(new Case("2-D 13x18 k=(3,5) causal (T,T)", Attention.neighborhood(3, 5).causal(true, true).build(), new int[] {13, 18}, 1, 1,
                16, 16, DType.F32, false));
        cs.add(new Case("2-D 23x37 k=7 d=(2,3)", Attention.neighborhood(7, 7).dilation(2, 3).build(), new int[] {23, 37}, 2, 1, 32, 8,
                DType.F32, false));
        cs.add(new Case("3-D 6x11x16 k=(3,5,7)", Attention.neighborhood(3, 5, 7).build(), new int[] {6, 11, 16}, 2, 2, 20, 20, DType.F32,
                false));
        cs.add(new Case("3-D 5x9x14 k=(3,3,5) causal (F,T,T)", Attention.neighborhood(3, 3, 5).causal(false, true, true).build(),
                new int[] {5, 9, 14}, 1, 1, 8, 12, DType.F32, true));
        // Windows jumping by more than a vector along the last axis: 2-D through the tile path.
        cs.add(new Case("2-D 5x100 k=(3,41) s=(1,20)", Attention.neighborhood(3, 41).stride(1, 20).build(), new int[] {5, 100}, 1, 1, 16,
                16, DType.F32, false));
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            cs.add(new Case("2-D 12x13 k=5 half storage", Attention.neighborhood(5).build(), new int[] {12, 13}, 2, 1, 32, 32, t, false));
        }
        List<Arguments> args = new ArrayList<>();
        for (VectorizationProvider p : TestData.providers()) {
            for (Case c : cs) args.add(Arguments.of(c, p));
        }
        return args.stream();
    }

    private static long[] shape(int[] grid, int heads, int d) {
        long[] s = new long[grid.length + 3];
        s[0] = 2;
        for (int i = 0; i < grid.length; i++) s[i + 1] = grid[i];
        s[grid.length + 1] = heads;
        s[grid.length + 2] = d;
        return s;
    }

    /**
     * The lane path serves grids of rank 2 and 3 (the cases above run it) unless the windows of some vector's worth
     * of last-axis queries start more than a vector apart (a large stride) or most lanes would idle; 1-D takes tiles.
     */
    @org.junit.jupiter.api.Test
    void lanePathServesGridsOfRankTwoAndThree() {
        Tensor q2 = Tensor.of(new float[21 * 35 * 8], 1, 21, 35, 1, 8), q3 = Tensor.of(new float[5 * 9 * 14 * 8], 1, 5, 9, 14, 1, 8);
        Tensor q1 = Tensor.of(new float[40 * 8], 1, 40, 1, 8);
        assertThat(NeighborhoodKernel.usesLanes(Attention.neighborhood(5, 7).build(), q2, 16)).isTrue();
        assertThat(NeighborhoodKernel.usesLanes(Attention.neighborhood(7, 7).dilation(2, 3).build(), q2, 16)).isTrue();
        assertThat(NeighborhoodKernel.usesLanes(Attention.neighborhood(3, 3, 5).causal(false, true, true).build(), q3, 16)).isTrue();
        assertThat(NeighborhoodKernel.usesLanes(Attention.neighborhood(3, 9).stride(1, 3).build(), q2, 16)).isTrue();
        Tensor wide = Tensor.of(new float[3 * 100 * 8], 1, 3, 100, 1, 8);
        assertThat(NeighborhoodKernel.usesLanes(Attention.neighborhood(3, 41).stride(1, 20).build(), wide, 16)).isFalse();
        assertThat(NeighborhoodKernel.usesLanes(Attention.neighborhood(13).build(), q1, 16)).isFalse();
        Tensor narrow = Tensor.of(new float[40 * 7 * 8], 1, 40, 7, 1, 8);
        assertThat(NeighborhoodKernel.usesLanes(Attention.neighborhood(5, 5).build(), narrow, 16)).as("7 of 16 lanes busy").isFalse();
        assertThat(NeighborhoodKernel.usesLanes(Attention.neighborhood(5, 5).build(), narrow, 8)).isTrue();
    }

    @ParameterizedTest(name = "{0} / {1}")
    @MethodSource("cases")
    void matchesReferenceAndThreadCounts(Case c, VectorizationProvider provider) {
        Tensor q = TestData.tensor(RND, c.dtype, c.strided, 2, shape(c.grid, c.heads, c.d));
        Tensor k = TestData.tensor(RND, c.dtype, c.strided, 2, shape(c.grid, c.kvHeads, c.d));
        Tensor v = TestData.tensor(RND, c.dtype, c.strided, 1, shape(c.grid, c.kvHeads, c.dv));
        AttentionCall call = AttentionCall.builder(c.op, q, k, v).needLse(true).build();
        assertThat(new CpuBackend(1, provider).supports(call).supported()).isTrue();
        AttentionResult one = new CpuBackend(1, provider).forward(call);
        AttentionResult ref = new ReferenceBackend().forward(call);
        assertThat(one.output().shape()).containsExactly(ref.output().shape());
        assertThat(TestData.relativeL2(one.output().toFloatArray(), ref.output().toFloatArray())).isLessThan(TestData.tolerance(c.dtype));
        assertThat(one.lse().shape()).containsExactly(ref.lse().shape());
        TestData.assertLse(one.lse().toFloatArray(), TestData.widen(ref.lse().toFloatArray()), 1e-4);
        for (int threads : new int[] {2, 3}) {
            AttentionResult r = new CpuBackend(threads, provider).forward(call);
            assertThat(r.output().toFloatArray()).as("output with %d threads", threads).isEqualTo(one.output().toFloatArray());
            assertThat(r.lse().toFloatArray()).as("lse with %d threads", threads).isEqualTo(one.lse().toFloatArray());
        }
    }
}
