using System.CommandLine;
using Compass.Bundles;

namespace Compass.Training.Cli;

/// <summary>
/// <c>compass-train pack</c>: puts exported single-quality bundles into one zip (one top folder per
/// quality), the model-set form that <c>OnnxCompassModel.Load</c> and the embedded default model take.
/// Each bundle is loaded, hence verified, first and copied byte for byte, so its identity is unchanged.
/// </summary>
internal static class PackCommand
{
    public static Command Create(TrainCliContext cli)
    {
        var bundles = new Argument<string[]>("bundles") { Description = "Bundle folders or zips, one per quality.", Arity = ArgumentArity.OneOrMore };
        var outFile = new Option<string>("--out") { Description = "The zip to write (e.g. src/Compass.Onnx/Models/default.zip).", Required = true, HelpName = "file.zip" };
        var command = new Command("pack", "Pack single-quality model bundles into one model-set zip (a quality ladder).");
        command.Arguments.Add(bundles);
        command.Options.Add(outFile);
        command.SetAction(parse =>
        {
            var target = parse.GetValue(outFile)!;
            try
            {
                var loaded = new List<ModelBundle>();
                foreach (var path in parse.GetValue(bundles)!)
                {
                    if (Directory.Exists(path))
                    {
                        loaded.Add(ModelBundle.Load(path));
                    }
                    else if (File.Exists(path))
                    {
                        using var stream = File.OpenRead(path);
                        loaded.Add(ModelBundle.Load(stream));
                    }
                    else
                    {
                        return cli.Fail($"no bundle folder or zip at '{path}'.");
                    }
                }

                var temp = target + ".tmp";
                try
                {
                    using var file = File.Create(temp);
                    ModelBundleWriter.WriteSet(file, loaded);
                }
                catch
                {
                    File.Delete(temp);
                    throw;
                }

                File.Move(temp, target, overwrite: true); // never leaves a half-written model set behind
                foreach (var b in loaded.OrderBy(b => b.Manifest.Qualities[0]))
                {
                    cli.Output.WriteLine($"q{b.Manifest.Qualities[0]}: {b.Manifest.Name} {b.IdentityHex}");
                }

                cli.Output.WriteLine($"wrote {loaded.Count} bundle(s) to {Path.GetFullPath(target)} ({new FileInfo(target).Length / 1e6:F1} MB)");
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is CompassFormatException or ArgumentException or IOException)
            {
                return cli.Fail(ex.Message);
            }
        });
        return command;
    }
}
