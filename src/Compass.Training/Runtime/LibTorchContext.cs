using System.Runtime.InteropServices;

namespace Compass.Training.Runtime;

/// <summary>
/// The switches of libtorch's global <c>at::Context</c> that TorchSharp does not expose:
/// <c>at::globalContext().setUserEnabledMkldnn(bool)</c> and <c>setUserEnabledNNPACK(bool)</c>, which are
/// what PyTorch's <c>torch.backends.mkldnn.enabled</c> and <c>torch.backends.nnpack.enabled</c> set. The entry points are the C++ symbols that
/// <c>libtorch_cpu.so</c> exports (Itanium ABI; on x86-64 a member function takes <c>this</c> as its
/// first argument), so they are tied to the libtorch build this assembly references; a missing symbol
/// surfaces as <see cref="EntryPointNotFoundException"/>, which <see cref="TorchCpu"/> reports.
/// </summary>
internal static class LibTorchContext
{
    private const string Library = "libtorch_cpu";

    [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNNPACK(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledNNPACK(IntPtr context);

    /// <summary>Whether ATen may dispatch convolutions to oneDNN (MKL-DNN).</summary>
    public static bool OneDnnEnabled
    {
        get => UserEnabledMkldnn(GlobalContext());
        set => SetUserEnabledMkldnn(GlobalContext(), value);
    }

    /// <summary>
    /// Whether ATen may try NNPACK for convolutions. With oneDNN off, ATen asks NNPACK first for every
    /// eligible float convolution; on a CPU that NNPACK does not support it fails to initialise and prints
    /// a warning each time (hundreds of thousands of lines in a training log), then falls back to the
    /// same ATen kernels.
    /// </summary>
    public static bool NnpackEnabled
    {
        get => UserEnabledNNPACK(GlobalContext());
        set => SetUserEnabledNNPACK(GlobalContext(), value);
    }
}
