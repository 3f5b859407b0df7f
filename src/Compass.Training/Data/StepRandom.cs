namespace Compass.Training.Data;

/// <summary>The independent random streams drawn at every training step.</summary>
internal enum RandomStream : ulong
{
    /// <summary>Image choice, crop position and flip of one batch item.</summary>
    Crop = 1,
    /// <summary>The layer sizes of one batch.</summary>
    Scales = 2,
    /// <summary>The seed of torch's generator (quantisation noise and any other torch draw).</summary>
    Torch = 3,
    /// <summary>The shuffling of one epoch.</summary>
    Epoch = 4,
    /// <summary>The rate level of one batch of a variable-rate codec.</summary>
    RateLevel = 5,
}

/// <summary>
/// A small deterministic generator (SplitMix64) whose state is a pure function of
/// (seed, step, stream, index). Every random draw of the data pipeline comes from one of these, so
/// a run resumed at step k sees exactly the batches of an uninterrupted run without saving any
/// data-loader state. Not <see cref="System.Random"/>: its seeded algorithm is a runtime detail.
/// </summary>
internal sealed class StepRandom
{
    private ulong _state;

    public StepRandom(long seed, long step, RandomStream stream, long index = 0)
    {
        _state = Hash(seed, step, stream, index);
    }

    /// <summary>A 64-bit hash of the four coordinates (each folded in through SplitMix64's finaliser).</summary>
    public static ulong Hash(long seed, long step, RandomStream stream, long index = 0)
    {
        ulong h = Mix((ulong)seed ^ 0x5DEECE66DUL);
        h = Mix(h ^ (ulong)step);
        h = Mix(h ^ (ulong)stream);
        h = Mix(h ^ (ulong)index);
        return h;
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, maxExclusive) (rejection sampling, no modulo bias).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        ulong bound = (ulong)maxExclusive;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do { r = NextUInt64(); } while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>Uniform double in [min, max].</summary>
    public double NextUniform(double min, double max) => min + (max - min) * NextDouble();

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
