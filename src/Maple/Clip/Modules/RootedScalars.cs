using TorchSharp;

namespace Maple.Clip.Modules;

/// <summary>
/// Scalars the encoders use on every pass, created once and held by static fields. TorchSharp turns a
/// plain number (and the implicit alpha of <c>add_(Tensor)</c>) into a <see cref="Scalar"/> that nothing
/// references once its handle has been passed to libtorch, so a garbage collection provoked by another
/// thread can finalize it while the native call still reads it. A rooted scalar cannot be.
/// </summary>
static class RootedScalars
{
    /// <summary>1, the alpha of a plain addition.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>quick_gelu's 1.702.</summary>
    public static readonly Scalar QuickGelu = 1.702.ToScalar();

    /// <summary>−∞, the score of a position causal attention masks out.</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();

    /// <summary>The attention scale 1/√d of each head width seen so far.</summary>
    public static Scalar InverseSqrt(long headDim) =>
        AttentionScales.GetOrAdd(headDim, d => (1.0 / Math.Sqrt(d)).ToScalar());

    static readonly System.Collections.Concurrent.ConcurrentDictionary<long, Scalar> AttentionScales = new();
}
