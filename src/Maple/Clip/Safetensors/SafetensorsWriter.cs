using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Maple.Clip.Safetensors;

/// <summary>Writes safetensors files atomically: to a temp file beside the target, then a rename.</summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (CPU, any supported dtype) and string <paramref name="metadata"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.Select(t => (t.Key, Tensor: t.Value.detach().cpu().contiguous())).ToList();
        try
        {
            var header = new Dictionary<string, object>();
            if (metadata is { Count: > 0 })
                header["__metadata__"] = metadata;
            long offset = 0;
            foreach (var (name, tensor) in entries)
            {
                var size = tensor.numel() * SafetensorsDTypes.Size(tensor.dtype);
                header[name] = new { dtype = SafetensorsDTypes.Name(tensor.dtype), shape = tensor.shape, data_offsets = new[] { offset, offset + size } };
                offset += size;
            }
            var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
            // The format pads the header with spaces to a multiple of 8 so the data stays aligned.
            var padded = (json.Length + 7) / 8 * 8;

            AtomicFile.Write(path, stream =>
            {
                Span<byte> length = stackalloc byte[8];
                BitConverter.TryWriteBytes(length, (long)padded);
                stream.Write(length);
                stream.Write(json);
                for (var i = json.Length; i < padded; i++)
                    stream.WriteByte((byte)' ');
                foreach (var (_, tensor) in entries)
                    tensor.WriteBytesToStream(stream);
            });
        }
        finally
        {
            foreach (var (_, tensor) in entries)
                tensor.Dispose();
        }
    }
}
