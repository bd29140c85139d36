using TorchSharp;

namespace Maple.Clip.Safetensors;

/// <summary>Maps safetensors dtype names to TorchSharp scalar types.</summary>
public static class SafetensorsDTypes
{
    static readonly Dictionary<string, torch.ScalarType> ByName = new()
    {
        ["F32"] = torch.ScalarType.Float32,
        ["F16"] = torch.ScalarType.Float16,
        ["BF16"] = torch.ScalarType.BFloat16,
        ["F64"] = torch.ScalarType.Float64,
        ["I64"] = torch.ScalarType.Int64,
        ["I32"] = torch.ScalarType.Int32,
        ["I16"] = torch.ScalarType.Int16,
        ["I8"] = torch.ScalarType.Int8,
        ["U8"] = torch.ScalarType.Byte,
        ["BOOL"] = torch.ScalarType.Bool,
    };

    /// <summary>The scalar type for a dtype name, or null when unsupported.</summary>
    public static torch.ScalarType? Parse(string name) => ByName.TryGetValue(name, out var type) ? type : null;

    /// <summary>The dtype name for a scalar type.</summary>
    public static string Name(torch.ScalarType type) =>
        ByName.FirstOrDefault(p => p.Value == type).Key ?? throw new NotSupportedException($"safetensors cannot store {type}");

    /// <summary>Bytes per element.</summary>
    public static int Size(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float64 or torch.ScalarType.Int64 => 8,
        torch.ScalarType.Float32 or torch.ScalarType.Int32 => 4,
        torch.ScalarType.Float16 or torch.ScalarType.BFloat16 or torch.ScalarType.Int16 => 2,
        torch.ScalarType.Int8 or torch.ScalarType.Byte or torch.ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"unsupported element type {type}"),
    };
}
