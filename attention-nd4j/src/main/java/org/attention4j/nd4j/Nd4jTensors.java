package org.attention4j.nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.attention4j.DType;
import org.attention4j.Storage;
import org.attention4j.Tensor;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J arrays as Attention4J tensors and back.
 *
 * <p>{@link #view(INDArray)} never copies: the tensor reads and writes the array's native memory with the
 * array's shape, strides and offset, so permuted, sliced and Fortran-order arrays are viewed as they are.
 * It accepts the float types Attention4J computes on and refuses anything else with an
 * {@link IllegalArgumentException} that names the argument, the expected and the actual value; the caller
 * then chooses {@link #copy(INDArray)}, which always copies (to the Java heap) and converts other numeric
 * types to F32. {@link #toINDArray(Tensor)} copies a tensor into a new C-order array of the same dtype.
 *
 * <p>A view keeps its array reachable, so ND4J does not free the memory while the tensor lives. An array
 * attached to an ND4J workspace is valid only while that workspace is open, and so is its view.
 */
public final class Nd4jTensors {
    private Nd4jTensors() {
    }

    /** The Attention4J dtype of an ND4J data type, or {@code null} when it has none. */
    static DType dtypeOf(DataType t) {
        switch (t) {
            case FLOAT: return DType.F32;
            case HALF: return DType.F16;
            case BFLOAT16: return DType.BF16;
            default: return null;
        }
    }

    /** The ND4J data type of an Attention4J dtype. */
    public static DataType dataTypeOf(DType dtype) {
        switch (dtype) {
            case F16: return DataType.HALF;
            case BF16: return DataType.BFLOAT16;
            default: return DataType.FLOAT;
        }
    }

    /**
     * A tensor over {@code array}'s memory, without copying: FLOAT, HALF and BFLOAT16 arrays of any strides
     * and order. Writes through either side are seen by the other.
     *
     * @throws IllegalArgumentException for another data type, a compressed array, or memory that is not on
     *                                  the host; {@link #copy(INDArray)} handles the first
     */
    public static Tensor view(INDArray array) {
        requireNonNull(array);
        DType dtype = dtypeOf(array.dataType());
        if (dtype == null) {
            throw mismatch("dtype FLOAT, HALF or BFLOAT16 to view without copying (Nd4jTensors.copy converts)",
                    "dtype " + array.dataType() + " " + Arrays.toString(array.shape()));
        }
        if (array.isEmpty()) {
            return Tensor.zeros(dtype, array.shape()); // no elements: nothing to share
        }
        if (array.isCompressed()) {
            throw mismatch("an uncompressed array (call Nd4j.getCompressor().decompressi(array) first)", "a compressed array");
        }
        DataBuffer data = array.data();
        ByteBuffer bytes;
        try {
            bytes = data.asNio();
        } catch (RuntimeException e) {
            bytes = null;
        }
        if (bytes == null || !bytes.isDirect()) {
            throw mismatch("an array in host memory that ND4J exposes as a direct buffer",
                    "a " + data.getClass().getSimpleName() + " with no host buffer");
        }
        // asNio() spans the whole underlying buffer; offset() is the array's first element within it.
        Storage storage = Storage.of(bytes.order(ByteOrder.nativeOrder()), dtype, array);
        try {
            return Tensor.view(storage, array.offset(), array.shape(), array.stride());
        } catch (IllegalArgumentException e) {
            throw mismatch("an array whose shape " + Arrays.toString(array.shape()) + ", strides "
                    + Arrays.toString(array.stride()) + " and offset " + array.offset() + " stay inside its buffer",
                    "a buffer of " + storage.size() + " elements (" + e.getMessage() + ")");
        }
    }

    /**
     * A new heap tensor with {@code array}'s values, always a copy: FLOAT, HALF and BFLOAT16 keep their
     * type; other numeric types (DOUBLE, INT, ...) are converted to F32.
     */
    public static Tensor copy(INDArray array) {
        requireNonNull(array);
        if (array.dataType() == DataType.BOOL || array.dataType() == DataType.UTF8 || array.dataType() == DataType.COMPRESSED) {
            throw mismatch("a numeric array", "dtype " + array.dataType());
        }
        INDArray floats = dtypeOf(array.dataType()) != null ? array : array.castTo(DataType.FLOAT);
        Tensor source = view(floats);
        return Tensor.zeros(source.dtype(), source.shape()).copyFrom(source);
    }

    /** A new C-order array of the tensor's dtype holding its values (a copy, whatever the tensor's storage). */
    public static INDArray toINDArray(Tensor tensor) {
        if (tensor == null) {
            throw new IllegalArgumentException("tensor: expected a non-null value, got null");
        }
        INDArray out = Nd4j.create(dataTypeOf(tensor.dtype()), tensor.shape(), 'c');
        if (tensor.numel() > 0) {
            view(out).copyFrom(tensor);
        }
        return out;
    }

    private static void requireNonNull(INDArray array) {
        if (array == null) {
            throw new IllegalArgumentException("array: expected a non-null value, got null");
        }
    }

    private static IllegalArgumentException mismatch(String expected, String actual) {
        return new IllegalArgumentException("array: expected " + expected + ", got " + actual);
    }
}
