using System.Buffers.Binary;
using System.IO.Hashing;
using Maple.Data;
using Maple.Imaging;

namespace Maple.Tests.Security;

/// <summary>Images that would hang, exhaust memory or lie about their size are refused by type or header, never read.</summary>
public sealed class HostileImageTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("maple-hostile-images-").FullName;

    static string Fixture(string name) => System.IO.Path.Combine(Fixtures.Preprocess, "images", name);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Path(string relative)
    {
        var path = System.IO.Path.Combine(_root, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>An 8-bit grayscale PNG of the given size whose rows are all zero: a few hundred KB for 10^8 pixels.</summary>
    internal static byte[] ZeroPng(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1];
            for (var y = 0; y < height; y++)
                z.Write(row);
        }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.HashToUInt32(typed));
        s.Write(word);
    }

    [Fact]
    public async Task AFifoIsRefusedWithoutBeingOpened()
    {
        var fifo = Path("cat/pipe.png");
        Assert.Equal(0, Mkfifo(fifo, 0x1A4));
        // Opening a FIFO blocks until a writer comes: a hang guard, not a timing assertion.
        var decode = Task.Run(() => Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(fifo)));
        var error = await decode.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("the file is a FIFO (named pipe), not a regular file; only regular files are read as images", error.Problem);
        Assert.Contains("FIFO", Assert.Throws<ImageDecodeException>(() => ImageHeader.Read(fifo)).Problem);
    }

    [Fact]
    public void ALinkToADeviceIsRefusedByType()
    {
        var link = Path("cat/zero.png");
        File.CreateSymbolicLink(link, "/dev/zero");
        var growth = MemoryGrowth.Of(() =>
            Assert.Equal("the file is a character device, not a regular file; only regular files are read as images",
                Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(link)).Problem));
        Assert.True(growth.ManagedBytes < 1 << 20, $"{growth.ManagedBytes} bytes allocated");
    }

    [Fact]
    public void ALinkToARegularImageIsRead()
    {
        var link = Path("cat/linked.png");
        File.CreateSymbolicLink(link, Fixture("small_100x80.png"));
        var image = ImageDecoder.Decode(link);
        Assert.Equal((100, 80), (image.Width, image.Height));
    }

    [Fact]
    public void ADecompressionBombIsRefusedFromItsHeaderBeforeDecoding()
    {
        var bomb = Path("bomb.png");
        File.WriteAllBytes(bomb, ZeroPng(12_000, 8_000));
        Assert.InRange(new FileInfo(bomb).Length, 1, 200_000);
        ImageDecodeException? error = null;
        var growth = MemoryGrowth.Of(() => error = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bomb)));
        Assert.Equal("the image declares 12000x8000 = 96,000,000 pixels, above the limit of 89,478,485 (a decompression bomb?); "
            + "raise the image pixel limit only for an image you trust", error!.Problem);
        // The 96-megapixel image would take 384 MB as RGBA: nothing near that may be allocated.
        Assert.True(growth.ManagedBytes < 4 << 20, $"{growth.ManagedBytes} managed bytes");
        Assert.True(growth.PeakRssBytes < 64 << 20, $"peak RSS grew by {growth.PeakRssBytes} bytes");
        Assert.True(error.OverPixelLimit);
        Assert.Contains("above the limit", Assert.Throws<ImageDecodeException>(() => ImageHeader.Read(bomb)).Problem);
    }

    [Fact]
    public void ThePixelLimitIsInclusiveAndCanBeRaised()
    {
        // small_100x80.png has 8,000 pixels.
        var path = Fixture("small_100x80.png");
        Assert.Contains("8,000 pixels, above the limit of 7,999", Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path, 7_999)).Problem);
        Assert.Equal(100, ImageDecoder.Decode(path, 8_000).Width);
        Assert.Contains("above the limit of 7,999",
            Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(File.ReadAllBytes(path).AsSpan(), "in memory", 7_999)).Problem);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageDecoder.MaxPixels = 0);
    }

    [Fact]
    public void InspectListsFilesThatAreNotRegular()
    {
        Directory.CreateDirectory(Path("data/cat"));
        File.Copy(Fixture("small_100x80.png"), Path("data/cat/a.png"));
        Assert.Equal(0, Mkfifo(Path("data/cat/pipe.png"), 0x1A4));
        File.CreateSymbolicLink(Path("data/cat/zero.jpg"), "/dev/zero");
        var dataset = ImageFolder.Load(Path("data"));
        foreach (var verify in new ImageCheck?[] { null, ImageCheck.Header, ImageCheck.Decode })
        {
            var report = DatasetInspector.Inspect(["all"], _ => dataset, new InspectOptions { Verify = verify });
            var unreadable = report.Of(ProblemKind.UnreadableFile).Select(p => p.Message).Distinct().Order().ToList();
            Assert.Equal(2, unreadable.Count);
            Assert.Contains("FIFO", unreadable[0]);
            Assert.Contains("character device", unreadable[1]);
        }
        var skipped = DatasetValidator.FindUnreadable(dataset);
        Assert.Equal(["pipe.png", "zero.jpg"], skipped.Select(s => System.IO.Path.GetFileName(s.Path)));
    }

    [Fact]
    public void AFolderLinkCycleIsScannedOnce()
    {
        File.Copy(Fixture("small_100x80.png"), Path("data/cat/a.png"));
        // Two links back to the root would make 2^40 paths if followed blindly.
        File.CreateSymbolicLink(Path("data/cat/up"), "..");
        File.CreateSymbolicLink(Path("data/cat/up2"), "..");
        Directory.CreateDirectory(Path("shared/more"));
        File.Copy(Fixture("small_100x80.png"), Path("shared/more/b.png"));
        File.CreateSymbolicLink(Path("data/cat/more"), Path("shared/more"));
        File.CreateSymbolicLink(Path("data/cat/more-again"), Path("shared/more"));
        var images = ImageFolder.Load(Path("data")).Items.Select(i => System.IO.Path.GetRelativePath(Path("data"), i.Path)).ToList();
        // Whichever link the scan meets first is entered; the other leads to the same folder and is not.
        Assert.Equal(2, images.Count);
        Assert.Equal("cat/a.png", images[0]);
        Assert.Contains(images[1], new[] { "cat/more/b.png", "cat/more-again/b.png" });
        Assert.Equal(2, ImageFiles.Expand([Path("data")]).Count);
    }

    [Fact]
    public void OnlyRegularFilesAreRegular()
    {
        Assert.Null(InputFile.NotRegular(Fixture("small_100x80.png")));
        Assert.Equal("a character device", InputFile.NotRegular("/dev/null"));
        Assert.Equal("a folder", InputFile.NotRegular(_root));
        Assert.Equal(InputFile.Missing, InputFile.NotRegular(Path("none")));
        var e = Assert.Throws<UserInputException>(() => InputFile.EnsureRegular("/dev/zero", "split file"));
        Assert.Equal("/dev/zero: the split file is a character device; Maple reads only regular files, give the path of one", e.Message);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    static extern int Mkfifo(string path, int mode);
}
