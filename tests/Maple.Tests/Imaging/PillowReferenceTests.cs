using System.Text.Json;
using Maple.Imaging;

namespace Maple.Tests.Imaging;

/// <summary>
/// Decoding and resizing against reference data made with Pillow 9.4 (see Data/make_pillow_cases.py): formats and
/// modes the shared fixture does not cover, and resize shapes, directions and boxes beyond the CLIP transform's.
/// </summary>
public sealed class PillowReferenceTests
{
    static string DataDir => Path.Combine(Fixtures.RepositoryRoot, "tests", "Maple.Tests", "Imaging", "Data");

    static readonly Lazy<Dictionary<string, ExpectedTensors.Entry>> decoded =
        new(() => ExpectedTensors.Read(Path.Combine(DataDir, "decode.safetensors")));

    static readonly Lazy<Dictionary<string, ExpectedTensors.Entry>> resized =
        new(() => ExpectedTensors.Read(Path.Combine(DataDir, "resize.safetensors")));

    public static TheoryData<string> DecodeFiles()
    {
        var data = new TheoryData<string>();
        foreach (var name in decoded.Value.Keys.Order(StringComparer.Ordinal))
            data.Add(name);
        return data;
    }

    public static TheoryData<string> ResizeCases()
    {
        var data = new TheoryData<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDir, "resize.json")));
        foreach (var c in doc.RootElement.EnumerateObject())
            data.Add(c.Name);
        return data;
    }

    [Fact]
    public void ReferenceDataIsPresent()
    {
        Assert.True(decoded.Value.Count >= 16);
        Assert.True(ResizeCases().Count >= 20);
        foreach (var file in Directory.GetFiles(Path.Combine(DataDir, "decode")))
            Assert.Contains(Path.GetFileName(file), decoded.Value.Keys);
    }

    [Theory]
    [MemberData(nameof(DecodeFiles))]
    public void DecodeMatchesPillowConvertRgb(string name)
    {
        var expected = decoded.Value[name];
        var img = ImageDecoder.Decode(Path.Combine(DataDir, "decode", name));
        Assert.Equal(expected.Shape[0], img.Height);
        Assert.Equal(expected.Shape[1], img.Width);
        AssertSameBytes(expected.Data, img.Pixels, name);
    }

    [Theory]
    [MemberData(nameof(ResizeCases))]
    public void ResizeMatchesPillowBicubic(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDir, "resize.json")));
        var c = doc.RootElement.GetProperty(name);
        var input = resized.Value[name + ".in"];
        var expected = resized.Value[name + ".out"];
        var src = new RgbImage((int)input.Shape[1], (int)input.Shape[0], input.Data);
        var width = c.GetProperty("width").GetInt32();
        var height = c.GetProperty("height").GetInt32();
        ResizeBox? box = null;
        if (c.GetProperty("box").ValueKind == JsonValueKind.Array)
        {
            var b = c.GetProperty("box").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            box = new ResizeBox(b[0], b[1], b[2], b[3]);
        }

        var got = box is { } bx ? PillowResize.Resize(src, width, height, bx) : PillowResize.Resize(src, width, height);

        Assert.Equal(width, got.Width);
        Assert.Equal(height, got.Height);
        AssertSameBytes(expected.Data, got.Pixels, name);

        // Any region computed on its own equals the same region of the full result.
        var region = new CropBox(width / 3, height / 4, width - width / 3 - width / 5, height - height / 4 - height / 6);
        if (region.Width > 0 && region.Height > 0)
        {
            var part = PillowResize.ResizeRegion(src, width, height, region, box);
            Assert.Equal(got.Crop(region.Left, region.Top, region.Width, region.Height).Pixels, part.Pixels);
        }
    }

    static void AssertSameBytes(byte[] expected, byte[] actual, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        var differing = 0;
        var maxDiff = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs(expected[i] - actual[i]);
            if (d != 0)
            {
                differing++;
                maxDiff = Math.Max(maxDiff, d);
            }
        }
        Assert.True(differing == 0, $"{name}: {differing} of {expected.Length} bytes differ, max |diff| {maxDiff}");
    }
}
