using Maple.Imaging;

namespace Maple.Tests.Imaging;

public sealed class RandomTests
{
    [Fact]
    public void MatchesPublishedXoshiro256StarStarWithSplitMix64Seeding()
    {
        // SplitMix64 from 0 gives e220a8397b1dcdaf, 6e789e6aa1b965f4, ... (the algorithm's reference outputs).
        var rng = new Xoshiro256StarStar(0);
        Assert.Equal([0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL, 0xF88BB8A8724C81ECUL], rng.State);
        Assert.Equal(0x99EC5F36CB75F2B4UL, rng.NextUInt64());
        Assert.Equal(0xBF6E1F784956452AUL, rng.NextUInt64());
        Assert.Equal(0x1A5F849D4933E6E0UL, rng.NextUInt64());

        var seeded = new Xoshiro256StarStar(42);
        Assert.Equal(0x15780B2E0C2EC716UL, seeded.NextUInt64());
        Assert.Equal(0x6104D9866D113A7EUL, seeded.NextUInt64());
        Assert.Equal(0xAE17533239E499A1UL, seeded.NextUInt64());
    }

    [Fact]
    public void SavedStateResumesTheSequence()
    {
        var rng = new Xoshiro256StarStar(7);
        for (var i = 0; i < 13; i++)
            rng.NextUInt64();
        var saved = rng.State;
        var first = Enumerable.Range(0, 20).Select(_ => rng.NextUInt64()).ToArray();

        rng.State = saved;
        Assert.Equal(first, Enumerable.Range(0, 20).Select(_ => rng.NextUInt64()).ToArray());
        var restored = new Xoshiro256StarStar(saved);
        Assert.Equal(first, Enumerable.Range(0, 20).Select(_ => restored.NextUInt64()).ToArray());

        // The property hands out copies: changing one does not touch the generator.
        var copy = rng.State;
        copy[0] ^= 1;
        Assert.NotEqual(copy, rng.State);
        Assert.Throws<ArgumentException>(() => rng.State = [0, 0, 0, 0]);
        Assert.Throws<ArgumentException>(() => rng.State = [1, 2, 3]);
    }

    [Fact]
    public void CloneContinuesIndependently()
    {
        var a = new Xoshiro256StarStar(3);
        a.NextUInt64();
        var b = a.Clone();
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
        a.NextUInt64();
        Assert.NotEqual(a.State, b.State);
    }

    [Fact]
    public void BoundedDrawsStayInRangeAndCoverIt()
    {
        var rng = new Xoshiro256StarStar(11);
        var counts = new int[7];
        for (var i = 0; i < 70_000; i++)
        {
            var v = rng.NextInt(-2, 5);
            Assert.InRange(v, -2, 4);
            counts[v + 2]++;
            var d = rng.NextDouble();
            Assert.True(d >= 0 && d < 1);
        }
        foreach (var c in counts)
            Assert.InRange(c, 9_000, 11_000);
        Assert.Equal(5, rng.NextInt(5, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(3, 3));
        Assert.InRange(rng.NextInt(int.MinValue, int.MaxValue), int.MinValue, int.MaxValue - 1);
    }
}
