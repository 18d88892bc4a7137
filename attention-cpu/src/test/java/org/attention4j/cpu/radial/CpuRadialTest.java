package org.attention4j.cpu.radial;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.RadialAttention;
import org.attention4j.RadialModel;
import org.attention4j.Tensor;
import org.attention4j.cpu.CpuBackend;
import org.attention4j.cpu.TestData;
import org.attention4j.cpu.softmax.NaiveSoftmax;
import org.attention4j.cpu.vectorization.VectorizationProvider;
import org.attention4j.radial.RadialMask;
import org.attention4j.reference.ReferenceBackend;
import org.attention4j.spi.AttentionCall;
import org.attention4j.spi.AttentionResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Block-sparse radial attention against the reference and the fp64 masked softmax over {@link RadialMask#visible}. */
class CpuRadialTest {
    private static final SplittableRandom RND = TestData.random("CpuRadialTest");

    record Case(String name, RadialAttention op, int batch, int seq, int heads, int kvHeads, int d, DType dtype, int[] keyLengths) {
        @Override
        public String toString() {
            return name + " " + dtype;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("wan 8 frames x 128, block 64", Attention.radial(8, 128).blockSize(64).decayFactor(0.5).build(), 1, 1024, 2, 1, 32, DType.F32, null));
        cs.add(new Case("hunyuan 6 frames x 200 + text, padding", Attention.radial(6, 200).blockSize(64).model(RadialModel.HUNYUAN).build(),
                2, 1290, 2, 2, 16, DType.F32, new int[] {1290, 1250}));
        cs.add(new Case("wan 8 frames x 256, block 128", Attention.radial(8, 256).blockSize(128).decayFactor(0.2).build(), 1, 2048, 1, 1, 64, DType.F32, null));
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            cs.add(new Case("wan half storage", Attention.radial(4, 128).blockSize(64).build(), 1, 512, 2, 1, 32, t, null));
        }
        List<Arguments> args = new ArrayList<>();
        for (VectorizationProvider p : TestData.providers()) {
            for (Case c : cs) args.add(Arguments.of(c, p));
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} / {1}")
    @MethodSource("cases")
    void matchesOracleAndThreadCounts(Case c, VectorizationProvider provider) {
        Tensor q = TestData.tensor(RND, c.dtype, false, 2, c.batch, c.seq, c.heads, c.d);
        Tensor k = TestData.tensor(RND, c.dtype, true, 2, c.batch, c.seq, c.kvHeads, c.d);
        Tensor v = TestData.tensor(RND, c.dtype, false, 1, c.batch, c.seq, c.kvHeads, c.d);
        AttentionCall call = AttentionCall.builder(c.op, q, k, v).keyRange(null, c.keyLengths).needLse(true).build();
        RadialMask mask = c.op.blockMask(c.seq);
        assertThat(mask.density()).as("the case must be sparse to test the block skipping").isLessThan(1.0);
        assertThat(new CpuBackend(1, provider).supports(call).supported()).isTrue();
        AttentionResult one = new CpuBackend(1, provider).forward(call);
        NaiveSoftmax want = NaiveSoftmax.compute(q, k, v, c.op.scale(c.d), 0,
                (b, i, j) -> mask.visible(i, j) && j < call.keyEnd(b), (b, h, i, j) -> 0);
        assertThat(TestData.relativeL2(one.output().toFloatArray(), want.out)).isLessThan(TestData.tolerance(c.dtype));
        TestData.assertLse(one.lse().toFloatArray(), want.lse, 1e-4);
        AttentionResult ref = new ReferenceBackend().forward(call);
        assertThat(TestData.relativeL2(one.output().toFloatArray(), ref.output().toFloatArray())).isLessThan(TestData.tolerance(c.dtype));
        TestData.assertLse(one.lse().toFloatArray(), TestData.widen(ref.lse().toFloatArray()), 1e-4);
        for (int threads : new int[] {2, 3}) {
            AttentionResult r = new CpuBackend(threads, provider).forward(call);
            assertThat(r.output().toFloatArray()).as("output with %d threads", threads).isEqualTo(one.output().toFloatArray());
        }
    }
}
