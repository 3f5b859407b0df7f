namespace Compass.Onnx;

/// <summary>Where ONNX Runtime runs the networks.</summary>
public enum ExecutionProvider
{
    /// <summary>
    /// CUDA when it can be set up (a GPU with CUDA 13 and cuDNN 9 for ONNX Runtime 1.31), otherwise the
    /// CPU; the reason for a fallback is logged. The default.
    /// </summary>
    Auto = 0,

    /// <summary>CUDA only; creating a session throws <see cref="NotSupportedException"/> when CUDA cannot be set up.</summary>
    Cuda = 1,

    /// <summary>The CPU provider only.</summary>
    Cpu = 2,
}
