package io.tandem.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The committed fatbin, read without a GPU: format, targets, PTX version and kernel signatures. */
class KernelImageTest {
  private final KernelImage image = KernelImage.load();

  @Test
  void resourceStartsWithFatbinMagic() {
    int magic = ByteBuffer.wrap(image.bytes()).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    assertEquals(KernelImage.FATBIN_MAGIC, magic);
  }

  @Test
  void holdsSm90SassAndCompute80Ptx() {
    KernelImage.Entry sass = image.find(KernelImage.Kind.SASS, 90).orElseThrow(
        () -> new AssertionError("no sm_90 SASS in " + image.entries()));
    byte[] elf = Arrays.copyOfRange(image.bytes(), sass.offset(), sass.offset() + 4);
    assertEquals("\u007fELF", new String(elf, java.nio.charset.StandardCharsets.ISO_8859_1));
    assertTrue(image.find(KernelImage.Kind.PTX, 80).isPresent(), "no compute_80 PTX in " + image.entries());
    assertEquals(2, image.entries().size(), "exactly the two targets: " + image.entries());
  }

  @Test
  void ptxIsIsa90ForSm80SoDriver580CanJitIt() {
    String ptx = ptx();
    assertTrue(ptx.contains(".version 9.0\n"), "PTX ISA must be 9.0 (CUDA 13.0); newer is rejected by driver 580");
    assertTrue(ptx.contains(".target sm_80\n"));
  }

  @Test
  void everyKernelTheBackendLaunchesIsCompiledWithTheSameParameters() {
    Map<String, List<String>> compiled = KernelImage.signatures(ptx());
    for (CudaKernel k : CudaKernel.values()) {
      List<String> types = compiled.get(k.symbol);
      assertTrue(types != null, "kernel " + k.symbol + " missing from the fatbin");
      assertEquals(k.ptxTypes(), types, "parameters of " + k.symbol);
    }
  }

  @Test
  void everyCompiledKernelIsKnownToTheBackend() {
    Set<String> known = EnumSet.allOf(CudaKernel.class).stream().map(k -> k.symbol).collect(Collectors.toSet());
    Set<String> unknown = new TreeSet<>(KernelImage.signatures(ptx()).keySet());
    unknown.removeAll(known);
    assertEquals(Set.of(), unknown, "kernels without a CudaKernel entry");
  }

  @Test
  void signatureParserReadsParamTypes() {
    String ptx = ".visible .entry foo(\n\t.param .u32 foo_param_0,\n\t.param .f32 foo_param_1,\n"
        + "\t.param .u64 .ptr .align 1 foo_param_2\n)\n{\n}\n.visible .entry bar()\n{\n}\n";
    Map<String, List<String>> sig = KernelImage.signatures(ptx);
    assertEquals(List.of("u32", "f32", "u64"), sig.get("foo"));
    assertEquals(List.of(), sig.get("bar"));
  }

  @Test
  void rejectsBytesThatAreNotAFatbin() {
    assertThrows(IllegalArgumentException.class, () -> KernelImage.parse(new byte[64]));
    byte[] truncated = Arrays.copyOf(image.bytes(), 4096);
    assertThrows(IllegalArgumentException.class, () -> KernelImage.parse(truncated));
  }

  private String ptx() {
    return image.ptx(image.find(KernelImage.Kind.PTX, 80).orElseThrow());
  }
}
