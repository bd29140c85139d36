using System.Buffers.Binary;

namespace Maple.Clip.Checkpoints;

/// <summary>A numpy dtype as pickled by <c>numpy.dtype.__reduce__</c>: a type code such as "f8", and the byte order BUILD sets.</summary>
sealed class NumpyDtype(string code)
{
    public string Code { get; } = code;

    public bool BigEndian { get; set; }

    public override string ToString() => Code;
}

/// <summary>
/// Numpy scalars (a float64 accuracy, an int64 step) that trainers sometimes store next to tensors; they
/// pickle as <c>numpy.core.multiarray.scalar(dtype, raw bytes)</c> and come out as long, double or bool.
/// </summary>
static class NumpyScalars
{
    public static NumpyDtype NewDtype(PickleGlobal global, object?[] args) => args switch
    {
        [string code, ..] when code.Length >= 2 => new NumpyDtype(code),
        _ => throw new InvalidDataException($"malformed arguments to {global.FullName}: expected a type code"),
    };

    /// <summary>Applies the state tuple numpy pickles for a dtype: (version, byte order, ...).</summary>
    public static void Build(NumpyDtype dtype, object? state)
    {
        if (state is object?[] { Length: >= 2 } fields && fields[1] is string order)
            dtype.BigEndian = order == ">";
        else
            throw new InvalidDataException("a numpy dtype with an unreadable state");
    }

    public static object Decode(PickleGlobal global, object?[] args)
    {
        if (args is not [NumpyDtype dtype, byte[] raw])
            throw new InvalidDataException($"malformed arguments to {global.FullName}: expected a numpy dtype and bytes");
        var data = raw.AsSpan();
        var size = dtype.Code[1..] switch
        {
            "1" => 1, "2" => 2, "4" => 4, "8" => 8,
            _ => throw new InvalidDataException($"unsupported numpy scalar type '{dtype.Code}'"),
        };
        if (data.Length != size)
            throw new InvalidDataException($"a numpy '{dtype.Code}' scalar of {data.Length} bytes");
        var bytes = data.ToArray();
        if (dtype.BigEndian)
            Array.Reverse(bytes);
        return (dtype.Code[0], size) switch
        {
            ('f', 2) => (double)BitConverter.ToHalf(bytes),
            ('f', 4) => (double)BinaryPrimitives.ReadSingleLittleEndian(bytes),
            ('f', 8) => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
            ('i', 1) => (long)(sbyte)bytes[0],
            ('i', 2) => (long)BinaryPrimitives.ReadInt16LittleEndian(bytes),
            ('i', 4) => (long)BinaryPrimitives.ReadInt32LittleEndian(bytes),
            ('i', 8) => BinaryPrimitives.ReadInt64LittleEndian(bytes),
            ('u', 1) => (long)bytes[0],
            ('u', 2) => (long)BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            ('u', 4) => (long)BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            ('u', 8) => UnsignedToValue(BinaryPrimitives.ReadUInt64LittleEndian(bytes)),
            ('b', 1) => bytes[0] != 0,
            _ => throw new InvalidDataException($"unsupported numpy scalar type '{dtype.Code}'"),
        };
    }

    static object UnsignedToValue(ulong value) => value <= long.MaxValue ? (long)value : new System.Numerics.BigInteger(value);
}
