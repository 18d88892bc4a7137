package org.attention4j.cuda;

/** A failing CUDA runtime or native-library call, with the CUDA error string or the library's message. */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The CUDA error or a4j status code. */
    public int code() {
        return code;
    }
}
