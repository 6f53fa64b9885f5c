package io.streaminfer.bridge.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A model repository with one tensor model, {@code tiny} (x FP32 [-1, 4] to y FP32 [-1, 4]), version 1. */
public final class TinyRepository {
    private TinyRepository() {}

    public static Path create(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("tiny/1"));
        Files.writeString(dir.resolve("tiny/model.yaml"), "kind: tensor\n"
                + "inputs: [{name: x, datatype: FP32, shape: [-1, 4]}]\n"
                + "outputs: [{name: y, datatype: FP32, shape: [-1, 4]}]\n");
        Files.writeString(dir.resolve("tiny/1/model.pt"), "");
        return dir;
    }
}
