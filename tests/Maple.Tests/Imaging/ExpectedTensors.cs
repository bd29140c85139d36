using System.Buffers.Binary;
using System.Text.Json;

namespace Maple.Tests.Imaging;

/// <summary>Minimal safetensors reader for the preprocessing fixture (U8 tensors only).</summary>
static class ExpectedTensors
{
    public sealed record Entry(string DType, long[] Shape, byte[] Data);

    public static Dictionary<string, Entry> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var dataStart = 8 + headerLength;
        var result = new Dictionary<string, Entry>();
        foreach (var property in header.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
                continue;
            var dtype = property.Value.GetProperty("dtype").GetString()!;
            var shape = property.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = property.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            result[property.Name] = new Entry(dtype, shape, bytes[(dataStart + offsets[0])..(dataStart + offsets[1])]);
        }
        return result;
    }

    static readonly Lazy<Dictionary<string, Entry>> preprocess =
        new(() => Read(Path.Combine(Fixtures.Preprocess, "expected.safetensors")));

    public static Dictionary<string, Entry> Preprocess => preprocess.Value;
}
