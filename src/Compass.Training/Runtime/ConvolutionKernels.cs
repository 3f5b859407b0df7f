namespace Compass.Training.Runtime;

/// <summary>Which of libtorch's CPU implementations computes convolutions and transposed convolutions
/// (chosen once per process, see <see cref="TorchCpu"/>).</summary>
public enum ConvolutionKernels
{
    /// <summary>ATen's own kernels (im2col and a matrix product; oneDNN off, as PyTorch's
    /// <c>torch.backends.mkldnn.enabled = False</c>): right on every host measured. The default.</summary>
    ATen,

    /// <summary>
    /// libtorch's default: oneDNN's JIT kernels for the best instruction set of the host (or the level
    /// that <c>DNNL_MAX_CPU_ISA</c> names). Faster, but oneDNN 3.7.1 (libtorch 2.10) computes some
    /// convolutions and transposed convolutions wrongly with its AVX, AVX2 and AVX-512 kernels on some
    /// hosts; use it only where <see cref="TorchCpu.SelfTest"/> passes.
    /// </summary>
    OneDnn,
}
