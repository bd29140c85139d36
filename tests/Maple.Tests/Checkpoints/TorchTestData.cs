using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Tests.Checkpoints;

/// <summary>The committed torch.save files and their expected values (see TestData/torch/README.md).</summary>
static class TorchTestData
{
    public static string Folder => Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "TestData", "torch");

    public static string File(string name) => Path.Combine(Folder, name);

    public static JsonElement Expected(string name)
    {
        using var document = JsonDocument.Parse(System.IO.File.ReadAllText(File(name)));
        return document.RootElement.Clone();
    }

    /// <summary>Asserts dtype, shape and every value (exactly) against an entry written by the generator script.</summary>
    public static void AssertTensor(JsonElement expected, Tensor actual, string name, bool contiguous = true)
    {
        Assert.Equal(DeviceType.CPU, actual.device_type);
        Assert.Equal(expected.GetProperty("dtype").GetString(), DtypeName(actual.dtype));
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(), actual.shape);
        Assert.True(actual.is_contiguous() == contiguous, $"{name} is {(contiguous ? "not " : "")}contiguous");
        var values = expected.GetProperty("values").EnumerateArray().ToArray();
        Assert.Equal(values.Length, actual.numel());
        if (values.Length == 0)
            return;
        using var flat = actual.reshape(-1);
        switch (actual.dtype)
        {
            case ScalarType.Bool:
                Assert.Equal(values.Select(v => v.GetBoolean()).ToArray(), flat.data<bool>().ToArray());
                break;
            case ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64:
                using (var wide = flat.to_type(ScalarType.Float64))
                    Assert.Equal(values.Select(v => v.GetDouble()).ToArray(), wide.data<double>().ToArray());
                break;
            default:
                using (var wide = flat.to_type(ScalarType.Int64))
                    Assert.Equal(values.Select(v => v.GetInt64()).ToArray(), wide.data<long>().ToArray());
                break;
        }
    }

    static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => dtype.ToString(),
    };

    public static void DisposeAll(object? graph)
    {
        switch (graph)
        {
            case Tensor tensor:
                tensor.Dispose();
                break;
            case OrderedDictionary<object, object?> dict:
                foreach (var value in dict.Values)
                    DisposeAll(value);
                break;
        }
    }
}
