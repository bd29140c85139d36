using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Maple.Tests.Checkpoints;

/// <summary>Writes pickles opcode by opcode, and torch.save-style zip archives around them, for hand-made test files.</summary>
sealed class PickleBuilder
{
    readonly MemoryStream bytes = new();

    public PickleBuilder Proto(byte protocol = 2) => Op(0x80).Byte(protocol);

    public PickleBuilder Op(byte op)
    {
        bytes.WriteByte(op);
        return this;
    }

    public PickleBuilder Op(char op) => Op((byte)op);

    public PickleBuilder Byte(byte value) => Op(value);

    public PickleBuilder Raw(byte[] raw)
    {
        bytes.Write(raw);
        return this;
    }

    public PickleBuilder Mark() => Op('(');

    public PickleBuilder Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBuilder String(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)utf8.Length);
        return Op('X').Raw(length).Raw(utf8);
    }

    public PickleBuilder Int(int value)
    {
        var raw = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(raw, value);
        return Op('J').Raw(raw);
    }

    public PickleBuilder Tuple(params Action<PickleBuilder>[] items)
    {
        Mark();
        foreach (var item in items)
            item(this);
        return Op('t');
    }

    public PickleBuilder IntTuple(params int[] values) => Tuple(values.Select(v => (Action<PickleBuilder>)(b => b.Int(v))).ToArray());

    /// <summary>A _rebuild_tensor_v2 call on storage <paramref name="key"/> of the given class.</summary>
    public PickleBuilder Tensor(string storageClass, string key, int numel, int offset, int[] size, int[] stride) =>
        Global("torch._utils", "_rebuild_tensor_v2")
            .Tuple(
                b => b.Tuple(s => s.String("storage"), s => s.Global("torch", storageClass), s => s.String(key), s => s.String("cpu"), s => s.Int(numel))
                    .Op('Q'),
                b => b.Int(offset),
                b => b.IntTuple(size),
                b => b.IntTuple(stride),
                b => b.Op(0x89),
                b => b.Global("collections", "OrderedDict").Op(')').Op('R'))
            .Op('R');

    public byte[] ToArray() => bytes.ToArray();

    /// <summary>Wraps a pickle the way torch.save does: &lt;prefix&gt;/data.pkl and &lt;prefix&gt;/data/&lt;key&gt; records.</summary>
    public static void WriteTorchZip(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null,
        string prefix = "archive", string? byteOrder = null)
    {
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        Write(zip, $"{prefix}/data.pkl", pickle);
        if (byteOrder is not null)
            Write(zip, $"{prefix}/byteorder", Encoding.ASCII.GetBytes(byteOrder));
        foreach (var (key, data) in storages ?? new Dictionary<string, byte[]>())
            Write(zip, $"{prefix}/data/{key}", data);
        Write(zip, $"{prefix}/version", "3\n"u8.ToArray());
    }

    static void Write(ZipArchive zip, string name, byte[] data)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(data);
    }
}
