using Maple.Imaging;

namespace Maple.Training;

/// <summary>
/// The run's randomness, derived from the seed and the epoch alone: the data order and the augmentation
/// of epoch e are the same whether the run got there in one go or was resumed from a checkpoint.
/// </summary>
public static class TrainingRng
{
    const ulong OrderStream = 0x6f72646572UL;        // "order"
    const ulong AugmentStream = 0x6175676d656e74UL;  // "augment"

    /// <summary>The generator that shuffles epoch <paramref name="epoch"/>.</summary>
    public static Xoshiro256StarStar ForOrder(long seed, int epoch) => new(Mix((ulong)seed, (ulong)epoch, OrderStream));

    /// <summary>The generator that augments the images of epoch <paramref name="epoch"/>.</summary>
    public static Xoshiro256StarStar ForAugmentation(long seed, int epoch) => new(Mix((ulong)seed, (ulong)epoch, AugmentStream));

    /// <summary>The indices 0..count-1 in epoch <paramref name="epoch"/>'s order (Fisher–Yates).</summary>
    public static int[] Order(int count, long seed, int epoch, bool shuffle)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (!shuffle)
            return order;
        var rng = ForOrder(seed, epoch);
        for (var i = count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    // SplitMix64 finalisers over the three inputs: well-separated seeds for neighbouring epochs.
    static ulong Mix(ulong seed, ulong epoch, ulong stream)
    {
        var x = seed * 0x9E3779B97F4A7C15UL ^ Avalanche(epoch + 0x632BE59BD9B4E019UL) ^ Avalanche(stream);
        return Avalanche(x);
    }

    static ulong Avalanche(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
