package org.attention4j;

/** The video models whose radial mask variants the anchor defines (spec 6.2, 6.3). */
public enum RadialModel {
    /** Wan: key frame 0 is an attention sink (always dense). */
    WAN,
    /** HunyuanVideo: no sink; text tokens follow the video tokens. */
    HUNYUAN
}
