using System.Buffers.Binary;
using TorchSharp;
using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>Where the bytes of a checkpoint's storages come from (the zip's data records, or the legacy file's tail).</summary>
interface ITorchStorageSource
{
    /// <summary>The storage's bytes as a new one-dimensional tensor of <paramref name="dtype"/> (which a v3 tensor may choose over the storage's own).</summary>
    Tensor Read(TorchStorageRef storage, ScalarType dtype);
}

/// <summary>Copies raw storage bytes from a stream into a new tensor.</summary>
static class StorageReader
{
    // Copy in bounded pieces: storages can be larger than a managed array, and a piece this size keeps memory flat.
    const int ChunkBytes = 1 << 24;

    /// <summary>
    /// Reads <paramref name="byteCount"/> bytes of <paramref name="dtype"/> elements in the file's byte order;
    /// <paramref name="observe"/> sees the bytes as stored, before any swap (to check a zip record's CRC).
    /// </summary>
    public static Tensor Read(Stream stream, long byteCount, ScalarType dtype, bool bigEndian, string what,
        Action<ReadOnlySpan<byte>>? observe = null)
    {
        var elementSize = TorchDtypes.ElementSize(dtype);
        if (byteCount % elementSize != 0)
            throw new InvalidDataException($"{what} holds {byteCount} bytes, not a whole number of {dtype} elements");
        var tensor = torch.empty(byteCount / elementSize, dtype);
        try
        {
            var buffer = new byte[(int)Math.Min(ChunkBytes, byteCount)];
            for (long done = 0; done < byteCount;)
            {
                var count = (int)Math.Min(buffer.Length, byteCount - done);
                try
                {
                    stream.ReadExactly(buffer, 0, count);
                }
                catch (EndOfStreamException ex)
                {
                    throw new InvalidDataException($"{what} ends after {done} of its {byteCount} bytes", ex);
                }
                observe?.Invoke(buffer.AsSpan(0, count));
                if (bigEndian)
                    SwapToLittleEndian(buffer.AsSpan(0, count), TorchDtypes.SwapUnit(dtype));
                using var piece = tensor.narrow(0, done / elementSize, count / elementSize);
                piece.bytes = buffer.AsSpan(0, count);
                done += count;
            }
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    static void SwapToLittleEndian(Span<byte> bytes, int unit)
    {
        switch (unit)
        {
            case 2:
                var shorts = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes);
                BinaryPrimitives.ReverseEndianness(shorts, shorts);
                break;
            case 4:
                var ints = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(bytes);
                BinaryPrimitives.ReverseEndianness(ints, ints);
                break;
            case 8:
                var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes);
                BinaryPrimitives.ReverseEndianness(longs, longs);
                break;
        }
    }
}
