using System.CommandLine;
using System.Globalization;
using Compass.Training.Runtime;

namespace Compass.Training.Cli;

/// <summary>
/// <c>compass-train check-cpu</c>: says which CPU this is, which convolution kernels libtorch uses here,
/// and checks them against float64 (the known transposed-convolution defects of oneDNN's AVX2/AVX-512
/// kernels, and one training step of a small and of the compact codec). Exit 0 when every check passes.
/// </summary>
internal static class CheckCpuCommand
{
    public static Command Create(TrainCliContext cli)
    {
        var command = new Command("check-cpu",
            $"Check libtorch's convolution kernels on this CPU against float64 (known oneDNN defects and one training step); exit 0 when all pass. {TorchCpu.EnvironmentVariable}=avx|aten|onednn and {TorchCpu.OneDnnIsaVariable} select what is checked.");
        command.SetAction(_ =>
        {
            string kernels;
            try
            {
                kernels = TorchCpu.Describe();
            }
            catch (ArgumentException ex)
            {
                return cli.Fail(ex.Message);
            }

            var cpu = HostCpu.Current;
            cli.Output.WriteLine($"cpu: {cpu.Model} ({cpu.Vendor})");
            cli.Output.WriteLine($"flags: {string.Join(' ', cpu.Flags)}");
            cli.Output.WriteLine($"oneDNN levels: {string.Join(' ', cpu.OneDnnIsaLevels)}");
            cli.Output.WriteLine($"convolutions: {kernels}");
            var checks = TorchCpu.SelfTest();
            foreach (var check in checks) cli.Output.WriteLine(check.ToString());
            int wrong = checks.Count(c => !c.Passed);
            cli.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"check-cpu: {(wrong == 0 ? "PASS" : "FAIL")} ({checks.Count - wrong} of {checks.Count} within {KernelCheck.Tolerance:0e0}; kernels {TorchCpu.Kernels})"));
            return wrong == 0 ? ExitCodes.Success : ExitCodes.TrainingFailed;
        });
        return command;
    }
}
