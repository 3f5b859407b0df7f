namespace Compass.Evaluation;

/// <summary>Turns the rows of one setup into its mean RD points and BD-rate table.</summary>
internal static class ResultsBuilder
{
    public static readonly BjontegaardMethod[] Methods = [BjontegaardMethod.Cubic, BjontegaardMethod.Pchip];

    public static SetupResults Build(EvaluationSetup setup, IReadOnlyList<EvaluatedModel> models, IReadOnlyList<ImageRow> rows, IReadOnlyList<ModelTiming> timings)
    {
        var means = new List<MeanPoint>();
        foreach (var configuration in setup.Configurations)
            foreach (string curve in CurvesOf(setup))
                foreach (var model in models)
                {
                    var selected = rows.Where(r => r.Configuration == configuration.Label && r.Curve == curve && r.Model == model.Name).ToList();
                    if (selected.Count == 0) continue;
                    means.Add(new MeanPoint(configuration.Label, curve, model.Name, model.Quality.Value, selected.Count,
                        selected.Average(r => r.Bpp), selected.Average(r => r.Psnr)));
                }

        var bdRates = new List<BdRateEntry>();
        foreach (var configuration in setup.Configurations)
        {
            if (setup.IsScalable)
            {
                var compass = CurveOf(means, configuration.Label, Curves.Compass);
                foreach (string reference in new[] { Curves.Simulcast, Curves.SingleLayer })
                    foreach (var method in Methods)
                        bdRates.Add(Entry(configuration.Label, Curves.Compass, reference, method, CurveOf(means, configuration.Label, reference), compass));
            }
            else
            {
                var single = CurveOf(means, configuration.Label, Curves.SingleLayer);
                foreach (var anchor in ClassicCodecAnchors.All)
                    foreach (var method in Methods)
                        bdRates.Add(Entry(configuration.Label, Curves.SingleLayer, anchor.Name, method, anchor.Points, single));
            }
        }
        return new SetupResults(setup.Name, setup.LayerCount, setup.Configurations, rows, means, bdRates, timings);
    }

    public static string MethodName(BjontegaardMethod method) => method == BjontegaardMethod.Cubic ? "cubic" : "pchip";

    private static IEnumerable<string> CurvesOf(EvaluationSetup setup) =>
        setup.IsScalable ? [Curves.Compass, Curves.Simulcast, Curves.SingleLayer] : [Curves.SingleLayer];

    private static List<RdPoint> CurveOf(IEnumerable<MeanPoint> means, string configuration, string curve) =>
        [.. means.Where(p => p.Configuration == configuration && p.Curve == curve).Select(p => new RdPoint(p.Bpp, p.Psnr))];

    private static BdRateEntry Entry(string configuration, string test, string reference, BjontegaardMethod method,
        IReadOnlyList<RdPoint> referencePoints, IReadOnlyList<RdPoint> testPoints) =>
        Bjontegaard.TryRate(referencePoints, testPoints, method, out double percent, out string? reason)
            ? new BdRateEntry(configuration, test, reference, MethodName(method), Math.Round(percent, 4), null)
            : new BdRateEntry(configuration, test, reference, MethodName(method), null, $"n/a ({reason})");
}
