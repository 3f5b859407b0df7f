namespace Compass.Training.Refinement;

/// <summary>What one <see cref="LatentRefiner.Refine"/> run does.</summary>
public sealed record RefinementOptions
{
    /// <summary>The quantisation used during optimisation.</summary>
    public RefinementMethod Method { get; init; } = RefinementMethod.Sga;

    /// <summary>
    /// The step counts at which the latents are evaluated, ascending; the run takes as many steps as the largest
    /// (one run reports every count, so the counts are cumulative). <see cref="RefinementMethod.Sga"/> anneals its
    /// temperature over the whole run.
    /// </summary>
    public IReadOnlyList<int> Steps { get; init; } = [10, 50, 200];

    /// <summary>Adam's learning rate on the latents (y in units of the quantisation step, z in its own units).</summary>
    public double LearningRate { get; init; } = 5e-3;

    /// <summary>Seed of the Gumbel noise (<see cref="RefinementMethod.Sga"/>).</summary>
    public long Seed { get; init; }

    /// <summary>The options' problem (a message naming it), or null when they are valid.</summary>
    internal string? Problem()
    {
        if (Steps is null || Steps.Count == 0) return "at least one step count is needed";
        for (int i = 0; i < Steps.Count; i++)
        {
            if (Steps[i] < 1) return $"step count {Steps[i]} must be at least 1";
            if (i > 0 && Steps[i] <= Steps[i - 1]) return "step counts must be strictly ascending";
        }
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) return $"learning rate {LearningRate} must be positive";
        if (!Enum.IsDefined(Method)) return $"unknown method {Method}";
        return null;
    }
}
