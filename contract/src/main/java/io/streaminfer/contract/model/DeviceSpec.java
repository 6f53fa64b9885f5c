package io.streaminfer.contract.model;

import java.util.Objects;

/**
 * Where a model replica runs: {@code cpu}, {@code gpu:N}, or {@code auto} (a GPU the host offers, else the CPU).
 * {@code gpu} alone means {@code gpu:0}.
 */
public final class DeviceSpec {
    public enum Type { AUTO, CPU, GPU }

    private final Type type;
    private final int index;

    private DeviceSpec(Type type, int index) {
        this.type = type;
        this.index = index;
    }

    public static final DeviceSpec AUTO = new DeviceSpec(Type.AUTO, -1);
    public static final DeviceSpec CPU = new DeviceSpec(Type.CPU, -1);

    public static DeviceSpec gpu(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("a GPU index must be >= 0, got " + index);
        }
        return new DeviceSpec(Type.GPU, index);
    }

    public static DeviceSpec parse(String text) {
        String s = Objects.requireNonNull(text, "device").trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("auto")) {
            return AUTO;
        }
        if (s.equals("cpu")) {
            return CPU;
        }
        if (s.equals("gpu") || s.equals("cuda")) {
            return gpu(0);
        }
        if (s.startsWith("gpu:") || s.startsWith("cuda:")) {
            try {
                return gpu(Integer.parseInt(s.substring(s.indexOf(':') + 1)));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("'device' must be auto, cpu, gpu or gpu:N, got '" + text + "'");
    }

    public Type type() {
        return type;
    }

    /** The GPU index; -1 unless {@link #type()} is GPU. */
    public int index() {
        return index;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceSpec && ((DeviceSpec) o).type == type && ((DeviceSpec) o).index == index;
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + index;
    }

    @Override
    public String toString() {
        return type == Type.GPU ? "gpu:" + index : type.name().toLowerCase(java.util.Locale.ROOT);
    }
}
