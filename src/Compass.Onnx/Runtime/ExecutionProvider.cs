namespace Compass.Onnx;

/// <summary>Where ONNX Runtime runs the networks.</summary>
public enum ExecutionProvider
{
    /// <summary>
    /// CUDA when it can be set up (ONNX Runtime's CUDA build, from Compass.Onnx.Gpu, and a GPU with CUDA 13 and
    /// cuDNN 9 for ONNX Runtime 1.31), otherwise the CPU; a fallback is logged once per process, at Information,
    /// with the reason. With the CPU build (Compass.Onnx.Cpu) the CPU directly. The default.
    /// </summary>
    Auto = 0,

    /// <summary>CUDA only; creating a session throws <see cref="NotSupportedException"/> when CUDA cannot be set up or the ONNX Runtime build has no CUDA provider.</summary>
    Cuda = 1,

    /// <summary>The CPU provider only.</summary>
    Cpu = 2,
}
