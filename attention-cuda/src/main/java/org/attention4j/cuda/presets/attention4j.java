package org.attention4j.cuda.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP presets for src-native's C ABI ({@code attention4j/attention4j.h}). The build parses the header
 * with this class and generates {@code org.attention4j.cuda.global.attention4j}; the generated class is
 * never edited by hand.
 */
@Properties(target = "org.attention4j.cuda.global.attention4j",
        value = @Platform(value = "linux-x86_64", include = "attention4j/attention4j.h", link = "attention4j_native"))
public class attention4j implements InfoMapper {
    @Override
    public void map(InfoMap infoMap) {
        infoMap.put(new Info("ATTENTION4J_H_").cppTypes().annotations());
    }
}
