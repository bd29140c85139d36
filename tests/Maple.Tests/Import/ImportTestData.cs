using System.Text.Json;
using static TorchSharp.torch;

namespace Maple.Tests.Import;

/// <summary>The committed authors' checkpoints and TorchScript archive (see TestData/import/README.md).</summary>
static class ImportTestData
{
    public static string Folder => Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "import");

    public static string File(string name) => Path.Combine(Folder, name);

    public static JsonElement Expected(string name)
    {
        using var document = JsonDocument.Parse(System.IO.File.ReadAllText(File(name)));
        return document.RootElement.Clone();
    }

    /// <summary>Same dtype, shape and values.</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape))
            return false;
        using var equal = a.eq(b).all();
        return equal.item<bool>();
    }

    /// <summary>Asserts a tensor against a summary the generator wrote: shape, first values and sums (of the stored values).</summary>
    public static void AssertSummary(JsonElement expected, Tensor actual, string name)
    {
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(), actual.shape);
        using var flat = actual.reshape(-1).to(ScalarType.Float64);
        var values = flat.data<double>().ToArray();
        var head = expected.GetProperty("head").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.True(head.SequenceEqual(values.Take(head.Length)), $"{name}: first values differ");
        AssertClose(expected.GetProperty("sum").GetDouble(), values.Sum(), name);
        AssertClose(expected.GetProperty("abs_sum").GetDouble(), values.Sum(Math.Abs), name);
    }

    static void AssertClose(double expected, double actual, string name) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{name}: sum {actual} != {expected}");
}
