namespace Compass.Cli.Tests;

public class HugePagesTests
{
    [Theory]
    [InlineData("encode", null, null, "always [madvise] never", true)]
    [InlineData("decode", null, "glibc.malloc.arena_max=2", "[always] madvise never", true)]
    [InlineData("eval", "1", null, "always [madvise] never", true)]
    [InlineData("info", null, null, "always [madvise] never", false)]      // reads a stream only: no networks
    [InlineData("encode", "0", null, "always [madvise] never", false)]     // opted out
    [InlineData("encode", null, "glibc.malloc.hugetlb=0", "always [madvise] never", false)] // the user chose
    [InlineData("encode", null, "glibc.malloc.hugetlb=1", "always [madvise] never", false)] // already restarted
    [InlineData("encode", null, null, "always madvise [never]", false)]    // THP switched off on this machine
    [InlineData("encode", null, null, null, false)]                        // no THP (another kernel)
    public void RestartsOnlyANetworkCommandThatHugePagesCanHelp(string command, string? optOut, string? tunables, string? thp, bool expected) =>
        Assert.Equal(expected, HugePages.ShouldRestart([command, "x"], optOut, tunables, thp));

    [Fact]
    public void NoArguments_NoRestart() => Assert.False(HugePages.ShouldRestart([], null, null, "always [madvise] never"));

    [Theory]
    [InlineData(null, "glibc.malloc.hugetlb=1")]
    [InlineData("", "glibc.malloc.hugetlb=1")]
    [InlineData("glibc.malloc.arena_max=2", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")]
    public void TheTunableIsAddedToTheUsersOwn(string? tunables, string expected) => Assert.Equal(expected, HugePages.WithTunable(tunables));

    [Theory]
    [InlineData("2.36", true)]
    [InlineData("2.35", true)]
    [InlineData("2.34", false)]
    [InlineData("2.28", false)]
    [InlineData(null, false)]
    [InlineData("unknown", false)]
    public void NeedsGlibc235(string? version, bool expected) => Assert.Equal(expected, HugePages.SupportsTunable(version));
}
