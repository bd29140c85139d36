using Maple.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Maple.Tests.Import;

/// <summary>Writes small torch.save zip files from tensors, for hand-made variants of the committed checkpoints.</summary>
static class TorchSaveWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> as a state dict; with <paramref name="epoch"/>, wrapped the way Dassl
    /// saves one (<c>{"state_dict": ..., "epoch": n}</c>).
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Value)> tensors, int? epoch = null)
    {
        var pickle = new PickleBuilder().Proto();
        var storages = new Dictionary<string, byte[]>();
        if (epoch is not null)
            pickle.Op('}').Mark().String("state_dict");
        pickle.Op('}').Mark();
        foreach (var (name, value) in tensors)
        {
            var key = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var contiguous = value.contiguous();
            storages[key] = contiguous.bytes.ToArray();
            var size = value.shape.Select(d => (int)d).ToArray();
            var stride = new int[size.Length];
            for (int i = size.Length - 1, step = 1; i >= 0; step *= size[i], i--)
                stride[i] = step;
            pickle.String(name).Tensor(StorageClass(value.dtype), key, (int)value.numel(), 0, size, stride);
        }
        pickle.Op('u');
        if (epoch is { } n)
            pickle.String("epoch").Int(n).Op('u');
        PickleBuilder.WriteTorchZip(path, pickle.Op('.').ToArray(), storages);
    }

    static string StorageClass(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "FloatStorage",
        ScalarType.Float16 => "HalfStorage",
        ScalarType.Int64 => "LongStorage",
        _ => throw new ArgumentException($"no storage class for {dtype} in this test helper"),
    };
}
