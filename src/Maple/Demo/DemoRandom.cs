using Maple.Imaging;

namespace Maple.Demo;

/// <summary>
/// Independent generators for every image of the demo, derived from the seed, a named stream and the
/// image's coordinates: an image is the same whichever others are drawn, in whatever order.
/// </summary>
static class DemoRandom
{
    /// <summary>The generator of item (<paramref name="a"/>, <paramref name="b"/>) of <paramref name="stream"/>.</summary>
    public static Xoshiro256StarStar For(long seed, string stream, long a = 0, long b = 0)
    {
        var x = Avalanche((ulong)seed + 0x9E3779B97F4A7C15UL);
        foreach (var c in stream)
            x = Avalanche(x ^ c);
        x = Avalanche(x ^ Avalanche((ulong)a + 0x632BE59BD9B4E019UL));
        x = Avalanche(x ^ Avalanche((ulong)b + 0xD6E8FEB86659FD93UL));
        return new Xoshiro256StarStar(x);
    }

    // SplitMix64's finaliser.
    static ulong Avalanche(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
