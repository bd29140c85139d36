using static TorchSharp.torch;

namespace Maple.Tests;

static class TensorAssert
{
    /// <summary>max|got − expected| / max|expected| ≤ tolerance, the fixtures' criterion; returns that relative error.</summary>
    public static double RelativeClose(Tensor expected, Tensor got, double tolerance, string name)
    {
        Assert.Equal(expected.shape, got.shape);
        var e = expected.to(ScalarType.Float64);
        var g = got.to(ScalarType.Float64);
        var error = (g - e).abs().max().item<double>();
        var scale = e.abs().max().item<double>();
        var relative = error / Math.Max(scale, 1e-30);
        Assert.True(relative <= tolerance, $"{name}: relative error {relative:E3} > {tolerance:E1} (max abs diff {error:E3}, scale {scale:E3})");
        return relative;
    }
}
