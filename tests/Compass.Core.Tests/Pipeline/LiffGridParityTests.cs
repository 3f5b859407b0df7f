using Compass.Pipeline;
using Compass.Testing;

namespace Compass.Tests.Pipeline;

/// <summary>LiffGrid against the indices, local coordinates and tokens recorded from the official code.</summary>
public class LiffGridParityTests
{
    public static TheoryData<string, int, int> Targets => new()
    {
        { "t0_29x38", 29, 38 }, { "t1_38x51", 38, 51 }, { "t2_48x64", 48, 64 }, { "t3_96x128", 96, 128 }, { "t4_31x47", 31, 47 },
    };

    [SkippableTheory]
    [MemberData(nameof(Targets))]
    public void MatchesOfficialNearestIndexRelCoordAndRelCell(string prefix, int height, int width)
    {
        var dir = Path.Combine(SharedData.Official, "liff");
        var grid = LiffGrid.Create(24, 32, height, width);
        var index = Npy.Load(Path.Combine(dir, $"{prefix}_nearest_index.npy")).AsInt();
        var rel = Npy.Load(Path.Combine(dir, $"{prefix}_rel_coord.npy")).AsFloat();
        var cell = Npy.Load(Path.Combine(dir, $"{prefix}_rel_cell.npy")).AsFloat();
        Assert.Equal(2 * height * width, index.Length);

        float maxRel = 0, maxCell = 0;
        for (int i = 0, p = 0; i < height; i++)
            for (int j = 0; j < width; j++, p++)
            {
                Assert.Equal(index[2 * p], grid.RowIndex[i]);
                Assert.Equal(index[2 * p + 1], grid.ColumnIndex[j]);
                maxRel = Math.Max(maxRel, Math.Abs(rel[2 * p] - grid.RowOffset[i]));
                maxRel = Math.Max(maxRel, Math.Abs(rel[2 * p + 1] - grid.ColumnOffset[j]));
                maxCell = Math.Max(maxCell, Math.Abs(cell[2 * p] - grid.ScaleY));
                maxCell = Math.Max(maxCell, Math.Abs(cell[2 * p + 1] - grid.ScaleX));
            }
        Assert.True(maxRel == 0f, $"rel_coord not bit-exact: max abs diff {maxRel}");
        Assert.True(maxCell == 0f, $"rel_cell not bit-exact: max abs diff {maxCell}");
    }

    [SkippableFact]
    public void PixelCentresMatchOfficialMakeCoord()
    {
        var lr = Npy.Load(Path.Combine(SharedData.Official, "liff", "lr_coord.npy")).AsFloat();
        // 1x2x24x32: channel 0 = row centre, channel 1 = column centre.
        for (int i = 0; i < 24; i++)
            for (int j = 0; j < 32; j++)
            {
                Assert.Equal(lr[i * 32 + j], LiffGrid.PixelCentre(i, 24));
                Assert.Equal(lr[24 * 32 + i * 32 + j], LiffGrid.PixelCentre(j, 32));
            }
    }
}
