using System.Runtime.InteropServices;

namespace Compass.Training.Runtime;

/// <summary>
/// The one switch of libtorch's global <c>at::Context</c> that TorchSharp does not expose:
/// <c>at::globalContext().setUserEnabledMkldnn(bool)</c>, which is what PyTorch's
/// <c>torch.backends.mkldnn.enabled</c> sets. The entry points are the C++ symbols that
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

    /// <summary>Whether ATen may dispatch convolutions to oneDNN (MKL-DNN).</summary>
    public static bool OneDnnEnabled
    {
        get => UserEnabledMkldnn(GlobalContext());
        set => SetUserEnabledMkldnn(GlobalContext(), value);
    }
}
