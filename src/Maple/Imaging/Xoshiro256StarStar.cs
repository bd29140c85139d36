namespace Maple.Imaging;

/// <summary>
/// A small, fast, seedable pseudo-random generator whose whole state can be saved and restored, so that a training
/// run resumed from a checkpoint draws the same augmentations it would have drawn without stopping.
/// </summary>
/// <remarks>
/// The algorithm is xoshiro256** 1.0 (Blackman and Vigna, 2018): 256 bits of state, period 2^256 - 1.
/// A 64-bit seed is expanded into the state with SplitMix64, as the authors recommend. The output sequence for a
/// given seed is fixed by this definition and will not change between versions of this library.
/// <see cref="State"/> holds the four state words; assigning a saved copy resumes the sequence exactly.
/// Not thread-safe: give each thread its own generator.
/// </remarks>
public sealed class Xoshiro256StarStar
{
    ulong s0, s1, s2, s3;

    /// <summary>Creates a generator from a 64-bit seed (expanded with SplitMix64).</summary>
    /// <param name="seed">Any value; equal seeds give equal sequences.</param>
    public Xoshiro256StarStar(ulong seed)
    {
        var x = seed;
        s0 = SplitMix64(ref x);
        s1 = SplitMix64(ref x);
        s2 = SplitMix64(ref x);
        s3 = SplitMix64(ref x);
    }

    /// <summary>Creates a generator from a saved <see cref="State"/>.</summary>
    /// <param name="state">Four words, not all zero.</param>
    public Xoshiro256StarStar(IReadOnlyList<ulong> state)
    {
        SetState(state);
    }

    /// <summary>
    /// The generator's complete state, four 64-bit words. Getting returns a copy; setting (with a previously read
    /// value) restores the generator to that point. All-zero states are rejected.
    /// </summary>
    public ulong[] State
    {
        get => [s0, s1, s2, s3];
        set => SetState(value);
    }

    /// <summary>A new generator with the same state, continuing the same sequence independently.</summary>
    public Xoshiro256StarStar Clone() => new([s0, s1, s2, s3]);

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform double in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <param name="low">Lower bound.</param>
    /// <param name="high">Upper bound.</param>
    public double NextDouble(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>An unbiased uniform integer in [<paramref name="low"/>, <paramref name="highExclusive"/>).</summary>
    /// <param name="low">Smallest value.</param>
    /// <param name="highExclusive">One past the largest value; greater than <paramref name="low"/>.</param>
    public int NextInt(int low, int highExclusive)
    {
        if (highExclusive <= low)
            throw new ArgumentOutOfRangeException(nameof(highExclusive), $"Empty range [{low}, {highExclusive}).");
        var range = (ulong)((long)highExclusive - low);
        // Lemire's multiply-shift with rejection of the biased low part.
        var product = Math.BigMul(NextUInt64(), range, out var lowBits);
        if (lowBits < range)
        {
            var threshold = (0 - range) % range;
            while (lowBits < threshold)
                product = Math.BigMul(NextUInt64(), range, out lowBits);
        }
        return (int)(low + (long)product);
    }

    /// <summary>An unbiased uniform integer in [0, <paramref name="highExclusive"/>).</summary>
    /// <param name="highExclusive">One past the largest value, at least 1.</param>
    public int NextInt(int highExclusive) => NextInt(0, highExclusive);

    void SetState(IReadOnlyList<ulong> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != 4)
            throw new ArgumentException($"The state has 4 words, got {state.Count}.", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException("The all-zero state is invalid for xoshiro256**.", nameof(state));
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
    }

    static ulong SplitMix64(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
