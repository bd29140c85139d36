using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Maple.Clip.Checkpoints;
using Maple.Clip.Safetensors;
using Maple.Clip.Weights;
using Maple.Tests.Import;
using Maple.Tests.Training;
using static TorchSharp.torch;

namespace Maple.Tests.Checkpoints;

/// <summary>
/// Seeded mutation fuzzing of every weight format Maple reads: truncations, bit flips, length and size
/// fields set to 0, 2^31 and 2^63, deep nesting and huge declared shapes, applied to real files. Every case
/// must either load or fail with a user error (<see cref="InvalidDataException"/> for damaged files,
/// <see cref="UnsafePickleException"/> for refused content), never another exception, and must not raise
/// the process's peak memory by more than <see cref="MemoryBound"/>. A failure names the seed and case.
/// </summary>
public sealed class CheckpointFuzzTests : IDisposable
{
    const int Cases = 200;
    const long MemoryBound = 256L << 20;

    static readonly long[] LengthValues = [0, 1L << 31, 1L << 63, uint.MaxValue, -1];

    readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Safetensors_LoadsOrFailsCleanly()
    {
        var original = temp["base.safetensors"];
        using (var scope = NewDisposeScope())
        {
            SafetensorsWriter.Write(original, new Dictionary<string, Tensor>
            {
                ["prompt_learner.ctx"] = randn(2, 8),
                ["prompt_learner.proj.weight"] = randn(12, 8).to(ScalarType.Float16),
                ["position_ids"] = arange(7L),
            }, new Dictionary<string, string> { ["method"] = "maple" });
        }
        var bytes = File.ReadAllBytes(original);
        var headerLength = (int)BinaryPrimitives.ReadInt64LittleEndian(bytes);

        Fuzz(seed: 1, bytes, ".safetensors", (random, file) => random.Next(4) switch
        {
            0 => MutateBytes(random, file),
            1 => ReplaceHeaderNumber(random, file, headerLength),
            2 => SetLength(random, file, 0), // the header length itself
            _ => NestHeader(random, file, headerLength),
        }, path =>
        {
            using var file = SafetensorsFile.Open(path);
            foreach (var name in file.Entries.Keys)
                file.Read(name).Dispose();
        });
    }

    [Fact]
    public void TorchSaveZip_LoadsOrFailsCleanly() =>
        Fuzz(seed: 2, File.ReadAllBytes(TorchTestData.File("model.pth.tar-5")), ".pth.tar-5",
            (random, file) => random.Next(3) == 0 ? MutateBytes(random, file) : MutateZipRecord(random, file, "/data.pkl", MutatePickle),
            path => TorchTestData.DisposeAll(TorchCheckpointReader.Load(path)));

    [Fact]
    public void LegacyPickle_LoadsOrFailsCleanly() =>
        Fuzz(seed: 3, File.ReadAllBytes(TorchTestData.File("views-legacy.pt")), ".pt",
            MutatePickle, path => TorchTestData.DisposeAll(TorchCheckpointReader.Load(path)));

    [Fact]
    public void TorchScriptArchive_LoadsOrFailsCleanly() =>
        Fuzz(seed: 4, File.ReadAllBytes(ImportTestData.File("openai-small.pt")), ".pt", (random, file) => random.Next(5) switch
        {
            0 => MutateBytes(random, file),
            1 => MutateZipRecord(random, file, "/code/__torch__.py", (r, code) => MutateBytes(r, code)),
            _ => MutateZipRecord(random, file, "/data.pkl", MutatePickle),
        }, path =>
        {
            foreach (var tensor in TorchWeightsFile.ReadStateDict(path).Values)
                tensor.Dispose();
        });

    void Fuzz(int seed, byte[] original, string extension, Func<Random, byte[], byte[]> mutate, Action<string> load)
    {
        var random = new Random(seed);
        var path = temp[$"case{extension}"];
        File.WriteAllBytes(path, original);
        load(path); // the unmutated file loads

        for (var i = 0; i < Cases; i++)
        {
            File.WriteAllBytes(path, mutate(random, (byte[])original.Clone()));
            Exception? error = null;
            var growth = MemoryGrowth.Of(() =>
            {
                try
                {
                    load(path);
                }
                catch (Exception ex)
                {
                    error = ex;
                }
            }).PeakRssBytes;
            var which = $"seed {seed}, case {i}";
            if (error is not null and not InvalidDataException and not UnsafePickleException)
                Assert.Fail($"{which}: {error.GetType().Name} is not a user error: {error}");
            if (error is not null)
            {
                Assert.Contains(path, error.Message);
                Assert.DoesNotContain('\n', error.Message);
            }
            Assert.True(growth < MemoryBound, $"{which}: peak memory grew by {growth >> 20} MiB");
        }
    }

    static byte[] MutateBytes(Random random, byte[] bytes)
    {
        switch (random.Next(3))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                for (var flips = random.Next(1, 9); flips > 0; flips--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            default:
                return SetLength(random, bytes, random.Next(Math.Max(1, bytes.Length - 8)));
        }
    }

    // Writes 0, 2^31, 2^63, 2^32 - 1 or -1 as a 4- or 8-byte little-endian integer at offset.
    static byte[] SetLength(Random random, byte[] bytes, int offset)
    {
        var value = LengthValues[random.Next(LengthValues.Length)];
        if (random.Next(2) == 0 && offset + 8 <= bytes.Length)
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), value);
        else if (offset + 4 <= bytes.Length)
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), (int)value);
        return bytes;
    }

    // Pickle-aware mutations: the length after a length-prefixed opcode, an integer argument turned huge
    // (a shape, a stride, a storage size), a run of nested tuples, or plain byte damage.
    static byte[] MutatePickle(Random random, byte[] pickle)
    {
        int Find(params byte[] opcodes)
        {
            var candidates = Enumerable.Range(0, pickle.Length - 1).Where(i => opcodes.Contains(pickle[i])).ToList();
            return candidates.Count == 0 ? random.Next(pickle.Length) : candidates[random.Next(candidates.Count)];
        }
        switch (random.Next(5))
        {
            case 0: // BINUNICODE, BINBYTES, BINSTRING, LONG4, BINUNICODE8, BINBYTES8
                return SetLength(random, pickle, Find((byte)'X', (byte)'B', (byte)'T', 0x8b, 0x8d, 0x8e) + 1);
            case 1: // BININT, BININT2, BININT1 (shapes, strides, offsets, storage sizes) made as large as they go
                var at = Find((byte)'J', (byte)'M', (byte)'K') + 1;
                for (var i = at; i < Math.Min(pickle.Length, at + 4); i++)
                    pickle[i] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x7F;
                return pickle;
            case 2: // a tuple nested thousands deep, spliced in
                var depth = random.Next(1, 20_000);
                var splice = random.Next(pickle.Length);
                return [.. pickle[..splice], (byte)')', .. Enumerable.Repeat((byte)0x85, depth), .. pickle[splice..]];
            default:
                return MutateBytes(random, pickle);
        }
    }

    // Mutates one record of a zip archive and writes the archive again with valid CRCs, so that the
    // mutation reaches the parser behind the zip layer.
    static byte[] MutateZipRecord(Random random, byte[] archive, string suffix, Func<Random, byte[], byte[]> mutate)
    {
        using var input = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in input.Entries)
            {
                using var source = new MemoryStream();
                using (var stream = entry.Open())
                    stream.CopyTo(source);
                var data = source.ToArray();
                if (entry.FullName.EndsWith(suffix, StringComparison.Ordinal))
                    data = mutate(random, data);
                using var target = zip.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                target.Write(data);
            }
        }
        return output.ToArray();
    }

    // A number in the JSON header (a shape dimension, an offset, the metadata) replaced by an extreme one.
    static byte[] ReplaceHeaderNumber(Random random, byte[] file, int headerLength)
    {
        var header = Encoding.UTF8.GetString(file, 8, headerLength);
        var digits = Enumerable.Range(0, header.Length).Where(i => char.IsAsciiDigit(header[i]) && !char.IsAsciiDigit(header[i - 1])).ToList();
        var at = digits[random.Next(digits.Count)];
        var end = at;
        while (end < header.Length && char.IsAsciiDigit(header[end]))
            end++;
        string[] extremes = ["0", "2147483648", "9223372036854775807", "9223372036854775808", "4294967296", "-1", "100000000000"];
        return WithHeader(file, headerLength, header[..at] + extremes[random.Next(extremes.Length)] + header[end..]);
    }

    // The header's first value wrapped in thousands of arrays.
    static byte[] NestHeader(Random random, byte[] file, int headerLength)
    {
        var header = Encoding.UTF8.GetString(file, 8, headerLength);
        var colon = header.IndexOf(':');
        var depth = random.Next(1, 5000);
        var valueEnd = header.IndexOf('}', colon) + 1;
        return WithHeader(file, headerLength,
            header[..(colon + 1)] + new string('[', depth) + header[(colon + 1)..valueEnd] + new string(']', depth) + header[valueEnd..]);
    }

    static byte[] WithHeader(byte[] file, int headerLength, string header)
    {
        var text = Encoding.UTF8.GetBytes(header);
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, text.Length);
        return [.. length, .. text, .. file[(8 + headerLength)..]];
    }
}
