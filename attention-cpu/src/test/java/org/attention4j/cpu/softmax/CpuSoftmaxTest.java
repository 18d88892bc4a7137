package org.attention4j.cpu.softmax;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attention4j.Attention;
import org.attention4j.AttentionOp;
import org.attention4j.DType;
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

/** The softmax / sliding-window kernel against the reference (and an fp64 oracle) over spec Appendix B's matrix. */
class CpuSoftmaxTest {
    private static final SplittableRandom RND = TestData.random("CpuSoftmaxTest");

    record Case(String name, AttentionOp op, int batch, int sq, int sk, int heads, int kvHeads, int d, int dv,
                DType dtype, boolean strided, int[] keyStart, int[] keyEnd) {
        @Override
        public String toString() {
            return name + " " + dtype;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("dense odd dims, strided", Attention.softmax().build(), 2, 67, 67, 2, 2, 5, 7, DType.F32, true, null, null));
        cs.add(new Case("causal Sq<Sk GQA 6:2", Attention.softmax().causal(true).build(), 1, 37, 130, 6, 2, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("causal Sq>Sk empty rows", Attention.softmax().causal(true).build(), 2, 130, 37, 2, 1, 8, 12, DType.F32, true, null, null));
        cs.add(new Case("window (7,0)", Attention.slidingWindow(7, 0).build(), 1, 200, 200, 2, 2, 32, 32, DType.F32, false, null, null));
        cs.add(new Case("window (20,20) Sq<Sk", Attention.slidingWindow(20, 20).build(), 1, 150, 170, 3, 1, 24, 20, DType.F32, false, null, null));
        cs.add(new Case("window (0,0)", Attention.slidingWindow(0, 0).build(), 1, 65, 65, 1, 1, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("window (3,1) Sq>Sk empty rows", Attention.slidingWindow(3, 1).build(), 1, 90, 40, 2, 2, 8, 8, DType.F32, false, null, null));
        cs.add(new Case("softcap causal", Attention.softmax().causal(true).softcap(2.0).build(), 1, 97, 97, 2, 2, 64, 64, DType.F32, false, null, null));
        cs.add(new Case("alibi non-causal", Attention.softmax().alibiSlopes(0.5f, 0.125f).build(), 1, 70, 90, 2, 1, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("alibi causal", Attention.softmax().causal(true).alibiSlopes(0.25f, 0.0625f).build(), 1, 70, 90, 2, 2, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("alibi per batch, window", Attention.slidingWindow(30, 10).alibiSlopesPerBatch(new float[] {0.5f, 0.1f, 0.3f, 0.05f}).build(),
                2, 80, 80, 2, 2, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("alibi causal window (column-free form)", Attention.slidingWindow(20, 0).alibiSlopes(0.3f).build(), 1, 90, 100, 1, 1, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("decode, cache lengths + left pad (split-KV)", Attention.softmax().causal(true).build(), 3, 1, 700, 4, 2, 32, 32, DType.F32, false,
                new int[] {0, 13, 5}, new int[] {700, 400, 5}));
        cs.add(new Case("decode 3 new tokens, window, ranges", Attention.slidingWindow(100, 0).build(), 2, 3, 1500, 2, 1, 64, 48, DType.F32, false,
                new int[] {7, 0}, new int[] {1307, 1500}));
        // Caches long enough for DecodeKernel to split them into chunks merged by LSE.
        cs.add(new Case("decode long cache, chunks, GQA 4:1 alibi, ranges", Attention.softmax().causal(true).alibiSlopes(0.01f, 0.02f, 0.03f, 0.04f, 0.05f, 0.06f, 0.07f, 0.08f).build(),
                2, 1, 9000, 8, 2, 16, 24, DType.F32, false, new int[] {0, 100}, new int[] {9000, 3000}));
        cs.add(new Case("decode 4 new tokens, chunks, softcap, strided", Attention.softmax().causal(true).softcap(3.0).build(), 1, 4, 5000, 4, 4, 32, 32, DType.F32, true, null, null));
        cs.add(new Case("decode 16 new tokens, window, GQA 3:1", Attention.slidingWindow(500, 0).build(), 1, 16, 3000, 6, 2, 32, 20, DType.F32, false, null, new int[] {2900}));
        cs.add(new Case("decode empty range next to a full one", Attention.softmax().build(), 2, 1, 300, 2, 1, 8, 8, DType.F32, false, new int[] {0, 40}, new int[] {300, 40}));
        // The in-place fp32 decode path at D = lanes multiples: key-major partial sums folded every L keys,
        // ranges and chunk ends that leave partial key blocks and tiles, GQA rows sharing each key.
        cs.add(new Case("decode D=128 GQA 2:1, odd cache, ranges", Attention.softmax().causal(true).build(), 2, 1, 4097, 8, 4, 128, 128, DType.F32, false,
                new int[] {0, 9}, new int[] {4097, 3001}));
        cs.add(new Case("decode D=48 2 tokens, window, softcap", Attention.slidingWindow(1000, 0).softcap(5.0).build(), 1, 2, 2053, 2, 2, 48, 40, DType.F32, true, null, null));
        cs.add(new Case("decode D=16 GQA 4:1, 37 keys", Attention.softmax().build(), 1, 1, 37, 4, 1, 16, 16, DType.F32, false, null, null));
        cs.add(new Case("17 queries take the tiled path", Attention.softmax().causal(true).build(), 1, 17, 300, 2, 1, 8, 8, DType.F32, false, null, null));
        // Boundary tiles computed by 16-row bands (OnlineSoftmax.visitBanded): bands that see nothing of a tile, spans
        // not on vector edges, bottom-right alignment with Sq != Sk.
        cs.add(new Case("causal D=64 Sq<Sk GQA 4:2, bands", Attention.softmax().causal(true).build(), 2, 150, 203, 4, 2, 64, 48, DType.F32, false, null, null));
        cs.add(new Case("window (37,5) D=64 Sq>Sk, bands", Attention.slidingWindow(37, 5).build(), 1, 230, 190, 2, 1, 64, 64, DType.F32, false, null, null));
        cs.add(new Case("causal D=128 tiles not dividing", Attention.softmax().causal(true).build(), 1, 257, 257, 2, 1, 128, 128, DType.F32, false, null, null));
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            cs.add(new Case("causal GQA half storage", Attention.softmax().causal(true).build(), 1, 75, 75, 4, 2, 40, 24, t, true, null, null));
            cs.add(new Case("decode long cache half storage, chunks", Attention.softmax().causal(true).build(), 1, 1, 5000, 2, 1, 64, 64, t, false, null, null));
            cs.add(new Case("decode half storage", Attention.softmax().build(), 1, 2, 600, 2, 2, 32, 32, t, false, null, new int[] {550}));
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
        Tensor q = TestData.tensor(RND, c.dtype, c.strided, 2, c.batch, c.sq, c.heads, c.d);
        Tensor k = TestData.tensor(RND, c.dtype, c.strided, 2, c.batch, c.sk, c.kvHeads, c.d);
        Tensor v = TestData.tensor(RND, c.dtype, c.strided, 1, c.batch, c.sk, c.kvHeads, c.dv);
        AttentionCall call = AttentionCall.builder(c.op, q, k, v).keyRange(c.keyStart, c.keyEnd).needLse(true).build();
        assertThat(new CpuBackend(1, provider).supports(call).supported()).isTrue();

        AttentionResult one = new CpuBackend(1, provider).forward(call);
        AttentionResult ref = new ReferenceBackend().forward(call);
        assertThat(one.output().shape()).containsExactly(c.batch, c.sq, c.heads, c.dv);
        assertThat(one.output().dtype()).isEqualTo(c.dtype);
        assertThat(TestData.relativeL2(one.output().toFloatArray(), ref.output().toFloatArray())).isLessThan(TestData.tolerance(c.dtype));
        assertThat(one.lse().shape()).containsExactly(c.batch, c.heads, c.sq);
        TestData.assertLse(one.lse().toFloatArray(), TestData.widen(ref.lse().toFloatArray()), 1e-4);
        // The fp64 oracle of this module agrees too (an independent reading of spec 1.3).
        NaiveSoftmax naive = NaiveSoftmax.of(call);
        assertThat(TestData.relativeL2(one.output().toFloatArray(), naive.out)).isLessThan(TestData.tolerance(c.dtype));

        for (int threads : new int[] {2, 3}) {
            AttentionResult r = new CpuBackend(threads, provider).forward(call);
            assertThat(r.output().toFloatArray()).as("output with %d threads", threads).isEqualTo(one.output().toFloatArray());
            assertThat(r.lse().toFloatArray()).as("lse with %d threads", threads).isEqualTo(one.lse().toFloatArray());
        }
    }

    /**
     * The packed K/V arrays are reused by the calling thread's next call (KeyTiles): a call whose keys are all NaN
     * leaves them full of NaN, and a smaller call after it, with a partial last key tile and value rows narrower
     * than their padded width, must read none of it.
     */
    @org.junit.jupiter.api.Test
    void reusedPackingBuffersLeakNothingIntoTheNextCall() {
        for (VectorizationProvider p : TestData.providers()) {
            CpuBackend backend = new CpuBackend(2, p);
            float[] nan = new float[1 * 200 * 2 * 64];
            java.util.Arrays.fill(nan, Float.NaN);
            Tensor poisonK = Tensor.of(nan, 1, 200, 2, 64), poisonV = Tensor.of(nan.clone(), 1, 200, 2, 64);
            Tensor pq = TestData.tensor(RND, DType.F32, false, 2, 1, 200, 2, 64);
            backend.forward(AttentionCall.builder(Attention.softmax().build(), pq, poisonK, poisonV).build());

            Tensor q = TestData.tensor(RND, DType.F32, false, 2, 1, 70, 2, 64);
            Tensor k = TestData.tensor(RND, DType.F32, false, 2, 1, 70, 1, 64);
            Tensor v = TestData.tensor(RND, DType.F32, false, 1, 1, 70, 1, 40);
            AttentionCall call = AttentionCall.builder(Attention.softmax().causal(true).build(), q, k, v).needLse(true).build();
            float[] out = backend.forward(call).output().toFloatArray();
            for (float x : out) assertThat(Float.isFinite(x)).as("output after a NaN call, %s", p).isTrue();
            AttentionResult ref = new ReferenceBackend().forward(call);
            assertThat(TestData.relativeL2(out, ref.output().toFloatArray())).isLessThan(TestData.tolerance(DType.F32));
        }
    }

    /** Decoding reads K with a non-unit head-dim stride and V from off-heap storage the same as heap rows. */
    @org.junit.jupiter.api.Test
    void decodeReadsStridedAndOffHeapStorage() {
        int batch = 2, sk = 4500, heads = 4, kvHeads = 2, d = 24, dv = 16;
        Tensor q = TestData.tensor(RND, DType.F32, false, 2, batch, 2, heads, d);
        // [B, S, D, Hkv] storage seen as [B, S, Hkv, D]: the head dim has stride Hkv.
        Tensor k = TestData.tensor(RND, DType.F32, false, 2, batch, sk, d, kvHeads).transpose(2, 3);
        Tensor v = Tensor.allocateDirect(DType.F32, batch, sk, kvHeads, dv);
        v.copyFrom(TestData.tensor(RND, DType.F32, false, 1, batch, sk, kvHeads, dv).toFloatArray());
        AttentionCall call = AttentionCall.builder(Attention.softmax().causal(true).build(), q, k, v)
                .keyRange(new int[] {3, 0}, new int[] {4500, 2000}).needLse(true).build();
        for (VectorizationProvider p : TestData.providers()) {
            AttentionResult one = new CpuBackend(1, p).forward(call);
            AttentionResult ref = new ReferenceBackend().forward(call);
            assertThat(TestData.relativeL2(one.output().toFloatArray(), ref.output().toFloatArray())).isLessThan(TestData.tolerance(DType.F32));
            TestData.assertLse(one.lse().toFloatArray(), TestData.widen(ref.lse().toFloatArray()), 1e-4);
            AttentionResult two = new CpuBackend(2, p).forward(call);
            assertThat(two.output().toFloatArray()).isEqualTo(one.output().toFloatArray());
        }
    }
}
