using System.CommandLine;
using Compass.Onnx;
using Microsoft.Extensions.Logging;

namespace Compass.Cli;

/// <summary>Options shared by several commands: the model, the runtime, the output form and verbosity.</summary>
internal sealed class CommonOptions(CliContext context)
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = "Model bundle (folder or .zip) or a folder of bundles, one per quality. Default: the model embedded in the tool.",
        HelpName = "path",
    };

    public Option<string> Provider { get; } = CreateProvider();

    public Option<int> Threads { get; } = CreateThreads();

    public Option<bool> MemoryArena { get; } = new("--memory-arena")
    {
        Description = "Keep ONNX Runtime's memory arena: a little faster on repeated small images, far more memory on large ones (docs/performance.md).",
    };

    /// <summary>The working-memory limit of encode and decode (<see cref="EncodeOptions.MaxMemoryBytes"/>).</summary>
    public Option<long?> MaxMemory { get; } = CreateMaxMemory();

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON document (for scripts) instead of the table." };

    /// <summary>Debug logging and stack traces; valid on every command.</summary>
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Log at Debug level and show stack traces of errors.", Recursive = true };

    /// <summary>Adds the model options (<c>--model</c>, <c>--provider</c>, <c>--threads</c>) to a command.</summary>
    public void AddModelOptions(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Provider);
        command.Options.Add(Threads);
        command.Options.Add(MemoryArena);
    }

    /// <summary>The logger factory for this run: Warning, or Debug with <c>--verbose</c>.</summary>
    public ILoggerFactory Logging(ParseResult parse) => context.CreateLogging(parse.GetValue(Verbose) ? LogLevel.Debug : LogLevel.Warning);

    /// <summary>Loads the model the options name, through the context's seam.</summary>
    public CompassModel LoadModel(ParseResult parse, ILoggerFactory logging)
    {
        var provider = parse.GetValue(Provider) switch
        {
            "cpu" => ExecutionProvider.Cpu,
            "cuda" => ExecutionProvider.Cuda,
            _ => ExecutionProvider.Auto,
        };
        return context.LoadModel(new ModelRequest(parse.GetValue(Model), provider, parse.GetValue(Threads), logging, parse.GetValue(MemoryArena)));
    }

    private static Option<string> CreateProvider()
    {
        var option = new Option<string>("--provider")
        {
            Description = "Where the networks run: auto (CUDA when available, else CPU), cpu or cuda (fails without CUDA).",
            DefaultValueFactory = _ => "auto",
            HelpName = "auto|cpu|cuda",
        };
        option.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        return option;
    }

    private static Option<long?> CreateMaxMemory() => new("--max-memory")
    {
        Description = "Refuse the work, before it starts, when its estimated peak memory is above this (e.g. 1.5GB, 800MB; powers of 1024). " +
                      "Default: the memory available to the process (docs/performance.md, Memory).",
        HelpName = "size",
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (MemorySize.TryParse(text, out long bytes) && bytes > 0) return bytes;
            result.AddError($"--max-memory: '{text}' is not a size: give a positive number with KB, MB or GB (powers of 1024), e.g. 1.5GB.");
            return null;
        },
    };

    private static Option<int> CreateThreads()
    {
        var option = new Option<int>("--threads") { Description = "ONNX Runtime threads per operator; 0 lets it choose.", DefaultValueFactory = _ => 0, HelpName = "n" };
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out int n) && n < 0) r.AddError("--threads must be 0 or positive.");
        });
        return option;
    }
}
