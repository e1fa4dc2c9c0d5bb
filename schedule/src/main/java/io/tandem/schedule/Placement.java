package io.tandem.schedule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Which device holds each virtual stage (DESIGN.md, "Words").
 *
 * @param devices number of devices {@code p}
 * @param deviceOfStage device of virtual stage {@code v}, for {@code v = 0 .. V-1}
 */
public record Placement(int devices, List<Integer> deviceOfStage) {

  public Placement {
    if (devices < 1) {
      throw new IllegalArgumentException("placement needs at least 1 device, got " + devices);
    }
    deviceOfStage = List.copyOf(deviceOfStage);
    if (deviceOfStage.isEmpty() || deviceOfStage.size() % devices != 0) {
      throw new IllegalArgumentException(
          "placement of " + deviceOfStage.size() + " virtual stages over " + devices
              + " devices: the stage count must be a positive multiple of the device count");
    }
    int[] perDevice = new int[devices];
    for (int v = 0; v < deviceOfStage.size(); v++) {
      int d = deviceOfStage.get(v);
      if (d < 0 || d >= devices) {
        throw new IllegalArgumentException(
            "placement: virtual stage " + v + " is on device " + d + ", outside 0.." + (devices - 1));
      }
      perDevice[d]++;
    }
    int chunks = deviceOfStage.size() / devices;
    for (int d = 0; d < devices; d++) {
      if (perDevice[d] != chunks) {
        throw new IllegalArgumentException(
            "placement: device " + d + " holds " + perDevice[d] + " virtual stages, expected " + chunks);
      }
    }
  }

  /** Linear placement (GPipe, 1F1B, ZB-H1/H2): stage {@code v} on device {@code v}. */
  public static Placement linear(int devices) {
    return interleaved(devices, 1);
  }

  /** Interleaved placement (Megatron virtual pipeline): stage {@code v} on device {@code v mod p}. */
  public static Placement interleaved(int devices, int chunksPerDevice) {
    requirePositive(devices, chunksPerDevice);
    List<Integer> map = new ArrayList<>(devices * chunksPerDevice);
    for (int v = 0; v < devices * chunksPerDevice; v++) {
      map.add(v % devices);
    }
    return new Placement(devices, map);
  }

  /** V-shape placement: stage {@code v < p} on device {@code v}, stage {@code v >= p} on {@code 2p-1-v}. */
  public static Placement vShape(int devices) {
    requirePositive(devices, 2);
    List<Integer> map = new ArrayList<>(2 * devices);
    for (int v = 0; v < 2 * devices; v++) {
      map.add(v < devices ? v : 2 * devices - 1 - v);
    }
    return new Placement(devices, map);
  }

  private static void requirePositive(int devices, int chunksPerDevice) {
    if (devices < 1) {
      throw new IllegalArgumentException("devices must be >= 1, got " + devices);
    }
    if (chunksPerDevice < 1) {
      throw new IllegalArgumentException("chunks per device must be >= 1, got " + chunksPerDevice);
    }
  }

  /** Number of virtual stages {@code V}. */
  public int stages() {
    return deviceOfStage.size();
  }

  public int chunksPerDevice() {
    return deviceOfStage.size() / devices;
  }

  public int device(int virtualStage) {
    return deviceOfStage.get(virtualStage);
  }

  /** The virtual stages device {@code d} holds, in increasing order. */
  public List<Integer> stagesOf(int device) {
    List<Integer> out = new ArrayList<>();
    for (int v = 0; v < deviceOfStage.size(); v++) {
      if (deviceOfStage.get(v) == device) {
        out.add(v);
      }
    }
    return Collections.unmodifiableList(out);
  }
}
