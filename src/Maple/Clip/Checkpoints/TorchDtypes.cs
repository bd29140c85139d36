using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>The PyTorch storage classes and dtype names a checkpoint may name, and their element types.</summary>
static class TorchDtypes
{
    // torch.save names the storage class of every tensor's storage in its persistent id;
    // UntypedStorage (PyTorch 2) holds bytes and is reinterpreted by _rebuild_tensor_v3's dtype.
    static readonly Dictionary<string, ScalarType> StorageClasses = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32,
        ["DoubleStorage"] = ScalarType.Float64,
        ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
        ["ComplexFloatStorage"] = ScalarType.ComplexFloat32,
        ["ComplexDoubleStorage"] = ScalarType.ComplexFloat64,
        ["UntypedStorage"] = ScalarType.Byte,
    };

    // torch.dtype objects pickle as globals of the torch module named after the dtype.
    static readonly Dictionary<string, ScalarType> DtypeNames = new(StringComparer.Ordinal)
    {
        ["float32"] = ScalarType.Float32, ["float"] = ScalarType.Float32,
        ["float64"] = ScalarType.Float64, ["double"] = ScalarType.Float64,
        ["float16"] = ScalarType.Float16, ["half"] = ScalarType.Float16,
        ["bfloat16"] = ScalarType.BFloat16,
        ["int64"] = ScalarType.Int64, ["long"] = ScalarType.Int64,
        ["int32"] = ScalarType.Int32, ["int"] = ScalarType.Int32,
        ["int16"] = ScalarType.Int16, ["short"] = ScalarType.Int16,
        ["int8"] = ScalarType.Int8,
        ["uint8"] = ScalarType.Byte,
        ["bool"] = ScalarType.Bool,
        ["complex64"] = ScalarType.ComplexFloat32, ["cfloat"] = ScalarType.ComplexFloat32,
        ["complex128"] = ScalarType.ComplexFloat64, ["cdouble"] = ScalarType.ComplexFloat64,
    };

    public static bool TryGetStorageClass(string name, out ScalarType dtype) => StorageClasses.TryGetValue(name, out dtype);

    public static bool TryGetDtype(string name, out ScalarType dtype) => DtypeNames.TryGetValue(name, out dtype);

    public static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a dtype torch checkpoints are read with"),
    };

    // Byte order is per real component: a complex number is two floats.
    public static int SwapUnit(ScalarType dtype) => dtype switch
    {
        ScalarType.ComplexFloat32 => 4,
        ScalarType.ComplexFloat64 => 8,
        _ => ElementSize(dtype),
    };
}
