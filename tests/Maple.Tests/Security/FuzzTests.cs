using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Maple.Clip.Safetensors;
using Maple.Data;
using Maple.Imaging;
using Maple.Prompting;
using Maple.Tests.Prompting;

namespace Maple.Tests.Security;

/// <summary>
/// Seeded mutations of the files Maple reads from strangers: image headers, split files and prompt files. Every
/// case must end in success or the error type meant for bad input, never another exception, and within a bound
/// on managed allocation and on the growth of the process's peak resident memory.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    const int Cases = 300;

    // Far above what any case needs when sizes are checked before allocating, far below a declared bomb.
    const long ManagedBound = 96L << 20;
    const long PeakRssBound = 256L << 20;

    readonly string _root = Directory.CreateTempSubdirectory("maple-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    static readonly long[] SizeValues = [0, 1, 65_535, 20_000, 100_000, int.MaxValue, 0x8000_0000L, 0xFFFF_FFFFL];
    static readonly long[] LengthValues = [0, 1, int.MaxValue, 0x8000_0000L, 0xFFFF_FFFFL];

    static void Run(string what, int index, Action work, params Type[] allowed)
    {
        Exception? thrown = null;
        var growth = MemoryGrowth.Of(() =>
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        });
        if (thrown is not null && !allowed.Any(t => t.IsInstanceOfType(thrown)))
            Assert.Fail($"{what} case {index}: {thrown.GetType().Name} is not a user error: {thrown}");
        if (thrown is not null)
            Assert.DoesNotContain('\n', thrown.Message);
        Assert.True(growth.ManagedBytes < ManagedBound, $"{what} case {index}: {growth.ManagedBytes} managed bytes allocated");
        Assert.True(growth.PeakRssBytes < PeakRssBound, $"{what} case {index}: peak RSS grew by {growth.PeakRssBytes} bytes");
    }

    [Fact]
    public void ImageHeaders()
    {
        string[] names = ["small_100x80.png", "palette_color.png", "chelsea_gray.png", "wide_600x100.png", "chelsea_q75.jpg", "chelsea_cmyk.jpg", "rocket.jpg"];
        var originals = names.Select(n => File.ReadAllBytes(Path.Combine(Fixtures.Preprocess, "images", n))).ToList();
        var random = new Random(8);
        var path = Path.Combine(_root, "image");
        var decoded = 0;
        for (var i = 0; i < Cases; i++)
        {
            var data = (byte[])originals[i % originals.Count].Clone();
            data = names[i % names.Length].EndsWith(".png") ? MutatePng(data, random) : MutateJpeg(data, random);
            File.WriteAllBytes(path, data);
            Run("image", i, () =>
            {
                // A limit of 4 megapixels keeps legitimately decodable mutants cheap; the bombs are far above it.
                ImageDecoder.ReadHeader(path, 4_000_000);
                ImageDecoder.Decode(path, 4_000_000);
                decoded++;
            }, typeof(ImageDecodeException));
        }
        // The mutations must leave some files readable, or they test only the first check.
        Assert.InRange(decoded, 10, Cases - 10);
    }

    static byte[] MutatePng(byte[] data, Random random)
    {
        switch (random.Next(5))
        {
            case 0:
                return data[..random.Next(data.Length)];
            case 1:
                return FlipBits(data, random, Math.Min(data.Length, 128));
            case 2:
                // IHDR width (offset 16) or height (offset 20).
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(random.Next(2) == 0 ? 16 : 20), (uint)SizeValues[random.Next(SizeValues.Length)]);
                return data;
            case 3:
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(16), (uint)SizeValues[random.Next(SizeValues.Length)]);
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(20), (uint)SizeValues[random.Next(SizeValues.Length)]);
                return data;
            default:
            {
                // The length field of a random chunk.
                var offsets = new List<int>();
                for (var pos = 8; pos + 8 <= data.Length;)
                {
                    offsets.Add(pos);
                    var length = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(pos));
                    if (length < 0)
                        break;
                    pos += 12 + length;
                }
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(offsets[random.Next(offsets.Count)]), (uint)LengthValues[random.Next(LengthValues.Length)]);
                return data;
            }
        }
    }

    static byte[] MutateJpeg(byte[] data, Random random)
    {
        switch (random.Next(4))
        {
            case 0:
                return data[..random.Next(data.Length)];
            case 1:
                return FlipBits(data, random, Math.Min(data.Length, 1024));
            case 2:
            {
                // SOFn: FF C0..C2, length(2), precision(1), height(2), width(2).
                var sof = Enumerable.Range(0, data.Length - 9).First(p => data[p] == 0xFF && data[p + 1] is 0xC0 or 0xC1 or 0xC2);
                ushort[] values = [0, 1, 65_535, 65_500, 20_000];
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 5), values[random.Next(values.Length)]);
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 7), values[random.Next(values.Length)]);
                return data;
            }
            default:
            {
                // The length of a random marker segment before the scan.
                var segments = new List<int>();
                for (var pos = 2; pos + 4 <= data.Length && data[pos] == 0xFF && data[pos + 1] != 0xDA;)
                {
                    segments.Add(pos + 2);
                    pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos + 2));
                }
                ushort[] values = [0, 1, 2, 0xFFFF];
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(segments[random.Next(segments.Count)]), values[random.Next(values.Length)]);
                return data;
            }
        }
    }

    static byte[] FlipBits(byte[] data, Random random, int region)
    {
        for (var k = random.Next(1, 9); k > 0; k--)
            data[random.Next(region)] ^= (byte)(1 << random.Next(8));
        return data;
    }

    [Fact]
    public void SplitFiles()
    {
        var random = new Random(9);
        var path = Path.Combine(_root, "split.json");
        var loaded = 0;
        for (var i = 0; i < Cases; i++)
        {
            File.WriteAllText(path, MutateSplit(random));
            Run("split", i, () =>
            {
                SplitFile.Load(path, _root, "train");
                loaded++;
            }, typeof(InvalidDataException), typeof(UserInputException));
        }
        Assert.InRange(loaded, 10, Cases - 10);
    }

    static readonly string[] Labels =
        ["0", "1", "2", "-1", "1.5", "1e10", "50000000", "2147483647", "2147483648", "9223372036854775808", "1e308", "\"1\"", "null", "[]", "{}", "true"];

    static readonly string[] Paths =
        ["\"a.jpg\"", "\"../x.jpg\"", "\"/etc/passwd\"", "\"\"", "\"a\\u0000b\"", "1", "null", "[\"a\"]", "\"" + new string('x', 5000) + "\""];

    static string MutateSplit(Random random)
    {
        string Entry(int label) => $"[\"c{label}/img.jpg\", {label}, \"class {label}\"]";
        var entries = Enumerable.Range(0, 6).Select(k => Entry(k % 3)).ToList();
        var kind = random.Next(7);
        if (kind == 0)
            entries[random.Next(entries.Count)] = $"[\"a.jpg\", {Labels[random.Next(Labels.Length)]}, \"x\"]";
        else if (kind == 1)
            entries[random.Next(entries.Count)] = $"[{Paths[random.Next(Paths.Length)]}, 0, \"x\"]";
        else if (kind == 2)
            entries[random.Next(entries.Count)] = new[] { "[]", "[\"a.jpg\"]", "\"a.jpg\"", "7", "{\"path\": 1}", "[\"a.jpg\", 0, 5]", "[\"a.jpg\", 0, null, 1, 2]" }[random.Next(7)];
        var text = $"{{\"train\": [{string.Join(", ", entries)}], \"val\": [], \"test\": [{Entry(0)}]}}";
        return kind switch
        {
            3 => new string('[', random.Next(1, 400)) + text + new string(']', random.Next(1, 400)),
            4 => text[..random.Next(text.Length)],
            5 => Flip(text, random),
            6 => new[] { "[]", "\"train\"", "42", "null", "{\"train\": {}}", "{\"train\": null}", "{}" }[random.Next(7)],
            _ => text,
        };
    }

    static string Flip(string text, Random random)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return Encoding.UTF8.GetString(FlipBits(bytes, random, bytes.Length));
    }

    [Fact]
    public void PromptFiles()
    {
        using var fixture = new TinyMapleCase();
        var random = new Random(10);
        var source = Path.Combine(_root, "source.safetensors");
        SafetensorsWriter.Write(source, HostilePromptTests.IvlpTensors(), HostilePromptTests.IvlpMetadata());
        var original = File.ReadAllBytes(source);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var header = JsonNode.Parse(original.AsSpan(8, headerLength))!.AsObject();
        var path = Path.Combine(_root, "prompts.safetensors");
        var loaded = 0;
        for (var i = 0; i < Cases; i++)
        {
            File.WriteAllBytes(path, MutatePrompts(original, header, headerLength, random));
            Run("prompts", i, () =>
            {
                using var checkpoint = PromptCheckpoint.Read(path);
                using var learner = checkpoint.CreateLearner(fixture.Clip, fixture.Tokenizer);
                _ = checkpoint.ClassNames;
                loaded++;
            }, typeof(InvalidDataException), typeof(UserInputException));
        }
        Assert.InRange(loaded, 10, Cases - 10);
    }

    static readonly string[] MetadataValues = ["-1", "0", "1", "2", "3", "8000000", "2147483647", "99999999999", "1e6", "2.5", "", "abc", "[]", "ivlp", "maple", "vpt-deep"];

    static readonly string[] ShapeValues = ["[]", "[0]", "[2]", "[2, 128]", "[2, 192]", "[4611686018427387904, 4]", "[8000000, 192]", "[-1, 2]", "[2, 128, 1]", "[1e3]", "\"x\""];

    static byte[] MutatePrompts(byte[] original, JsonObject header, int headerLength, Random random)
    {
        var json = (JsonObject)header.DeepClone();
        var metadata = json["__metadata__"]!.AsObject();
        var tensors = json.Where(p => p.Key != "__metadata__").Select(p => p.Key).ToList();
        switch (random.Next(6))
        {
            case 0:
            case 1:
            {
                var key = new[] { "method", "n_ctx", "n_ctx_vision", "text_depth", "vision_depth" }[random.Next(5)];
                metadata[key] = MetadataValues[random.Next(MetadataValues.Length)];
                break;
            }
            case 2:
                metadata["classnames"] = new[] { "cat", "[1]", "[\"a\", null]", "{}", "[[\"a\"]]", "null", "[\"ok\"]" }[random.Next(7)];
                break;
            case 3:
                json[tensors[random.Next(tensors.Count)]]!["shape"] = JsonNode.Parse(ShapeValues[random.Next(ShapeValues.Length)]);
                break;
            case 4:
                return original[..random.Next(original.Length)];
            default:
            {
                // The header's length field. (Byte-level damage inside the header is the safetensors reader's own
                // fuzzing; this one is about what prompt files declare.)
                var mutated = (byte[])original.Clone();
                ulong[] lengths = [0, 7, (ulong)headerLength - 8, (ulong)headerLength + 8, 1UL << 31, 1UL << 63, ulong.MaxValue];
                BinaryPrimitives.WriteUInt64LittleEndian(mutated, lengths[random.Next(lengths.Length)]);
                return mutated;
            }
        }
        var text = Encoding.UTF8.GetBytes(json.ToJsonString());
        var padded = text.Concat(Enumerable.Repeat((byte)' ', -text.Length & 7)).ToArray();
        return [.. BitConverter.GetBytes((ulong)padded.Length), .. padded, .. original.AsSpan(8 + headerLength)];
    }
}
