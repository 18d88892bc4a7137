package org.attention4j.nd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.attention4j.Attention;
import org.attention4j.DType;
import org.attention4j.Parity;
import org.attention4j.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class Nd4jTensorsTest {
    private static INDArray iota(DataType type, long... shape) {
        long n = 1;
        for (long x : shape) n *= x;
        return Nd4j.arange(n).muli(0.25).subi(3).castTo(type).reshape('c', shape);
    }

    /** What ND4J itself says the logical elements are, in C order, as floats. */
    private static float[] nd4jValues(INDArray a) {
        return a.dup('c').castTo(DataType.FLOAT).data().asFloat();
    }

    @Test
    void viewsShareMemoryBothWays() {
        INDArray a = iota(DataType.FLOAT, 2, 3, 4);
        Tensor t = Nd4jTensors.view(a);
        assertThat(t.dtype()).isEqualTo(DType.F32);
        assertThat(t.shape()).containsExactly(2, 3, 4);
        assertThat(t.storage().byteBufferOrNull().isDirect()).isTrue(); // ND4J's native memory, not a heap copy
        assertThat(t.toFloatArray()).containsExactly(nd4jValues(a));
        a.putScalar(new long[] {1, 2, 3}, 42f);
        assertThat(t.get(1, 2, 3)).isEqualTo(42f);
        t.set(-5f, 0, 1, 2);
        assertThat(a.getFloat(0, 1, 2)).isEqualTo(-5f);
    }

    @Test
    void stridedSlicedPermutedAndFortranArraysAreViewedAsTheyAre() {
        INDArray base = iota(DataType.FLOAT, 4, 5, 6);
        INDArray[] layouts = {
            base.get(NDArrayIndex.point(2), NDArrayIndex.interval(1, 4), NDArrayIndex.interval(2, 6)),
            base.permute(2, 0, 1),
            base.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 5), NDArrayIndex.all()), // step 2
            iota(DataType.FLOAT, 3, 7).dup('f'),
            Nd4j.scalar(2.5f),
        };
        for (INDArray a : layouts) {
            Tensor t = Nd4jTensors.view(a);
            assertThat(t.shape()).as(a.shapeInfoToString()).containsExactly(a.shape());
            assertThat(t.toFloatArray()).as(a.shapeInfoToString()).containsExactly(nd4jValues(a));
        }
        INDArray slice = layouts[0];
        Nd4jTensors.view(slice).set(100f, 1, 1);
        assertThat(base.getFloat(2, 2, 3)).isEqualTo(100f);
    }

    @Test
    void halfAndBfloat16ArraysAreViewedBitForBit() {
        for (DataType type : new DataType[] {DataType.HALF, DataType.BFLOAT16}) {
            INDArray a = iota(type, 3, 5).permute(1, 0);
            Tensor t = Nd4jTensors.view(a);
            assertThat(t.dtype()).isEqualTo(type == DataType.HALF ? DType.F16 : DType.BF16);
            assertThat(t.toFloatArray()).as(type.toString()).containsExactly(nd4jValues(a));
        }
    }

    @Test
    void otherDtypesAreRefusedWithTheWayOut() {
        INDArray d = Nd4j.create(new double[] {1, 2, 3, 4}, 2, 2);
        assertThatThrownBy(() -> Nd4jTensors.view(d))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("array: expected dtype FLOAT, HALF or BFLOAT16 to view without copying (Nd4jTensors.copy converts),"
                        + " got dtype DOUBLE [2, 2]");
        assertThatThrownBy(() -> Nd4jTensors.view(null)).hasMessage("array: expected a non-null value, got null");
        assertThatThrownBy(() -> Nd4jTensors.copy(Nd4j.create(new boolean[] {true}, new long[] {1}, DataType.BOOL)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("array: expected a numeric array, got dtype BOOL");
    }

    @Test
    void copyIsAlwaysAHeapCopyAndConvertsOtherTypesToF32() {
        INDArray d = Nd4j.create(new double[] {1.5, -2, 3e-3, 4}, 2, 2).transpose();
        Tensor t = Nd4jTensors.copy(d);
        assertThat(t.dtype()).isEqualTo(DType.F32);
        assertThat(t.storage().floatArrayOrNull()).isNotNull();
        assertThat(t.toFloatArray()).containsExactly(1.5f, 3e-3f, -2f, 4f);
        INDArray f = iota(DataType.FLOAT, 2, 2);
        Tensor c = Nd4jTensors.copy(f);
        f.putScalar(0, 99f);
        assertThat(c.get(0, 0)).isEqualTo(-3f); // not shared
        assertThat(Nd4jTensors.copy(iota(DataType.HALF, 2)).dtype()).isEqualTo(DType.F16);
    }

    @Test
    void toINDArrayCopiesAnyTensorIntoCOrder() {
        Tensor t = Tensor.fromFloats(DType.BF16, new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
        INDArray a = Nd4jTensors.toINDArray(t);
        assertThat(a.dataType()).isEqualTo(DataType.BFLOAT16);
        assertThat(a.shape()).containsExactly(3, 2);
        assertThat(a.ordering()).isEqualTo('c');
        assertThat(nd4jValues(a)).containsExactly(t.toFloatArray());
    }

    @Test
    void aViewKeepsItsArrayAlive() {
        Tensor t = Nd4jTensors.view(iota(DataType.FLOAT, 256, 256)); // the only reference to the array is the view's
        float[] expected = nd4jValues(iota(DataType.FLOAT, 256, 256));
        for (int i = 0; i < 5; i++) {
            System.gc();
            Nd4j.create(DataType.FLOAT, 256, 256).assign(7); // reuse freed native memory if the array was freed
        }
        assertThat(t.toFloatArray()).containsExactly(expected);
    }

    @Test
    void attentionOverViewsOfNd4jArraysEqualsAttentionOverHeapCopies() {
        // PyTorch-style [B, H, S, D] arrays, viewed as [B, S, H, D] by a permute: strided, never copied.
        INDArray q = Nd4j.rand(DataType.FLOAT, 1, 4, 32, 16).subi(0.5);
        INDArray k = Nd4j.rand(DataType.FLOAT, 1, 2, 32, 16).subi(0.5);
        INDArray v = Nd4j.rand(DataType.FLOAT, 1, 2, 32, 16).subi(0.5);
        Tensor qv = Nd4jTensors.view(q).permute(0, 2, 1, 3);
        Tensor kv = Nd4jTensors.view(k).permute(0, 2, 1, 3);
        Tensor vv = Nd4jTensors.view(v).permute(0, 2, 1, 3);
        var op = Attention.softmax().causal(true).build();
        Tensor onViews = op.forward(qv, kv, vv);
        Tensor onCopies = op.forward(qv.contiguous(), kv.contiguous(), vv.contiguous());
        assertThat(Parity.of(onCopies, onViews, 1e-6).ok()).as(Parity.of(onCopies, onViews).toString()).isTrue();
        INDArray back = Nd4jTensors.toINDArray(onViews);
        assertThat(back.shape()).containsExactly(1, 32, 4, 16);
        assertThat(nd4jValues(back)).containsExactly(onViews.toFloatArray());
    }
}
