using Maple.Clip.Checkpoints;

namespace Maple.Tests.Checkpoints;

public sealed class CorruptCheckpointTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("maple-corrupt-pickle-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("model.pth.tar-5")]
    [InlineData("views-legacy.pt")]
    public void TruncatedFile_GivesAnErrorNamingIt(string file)
    {
        var bytes = File.ReadAllBytes(TorchTestData.File(file));
        foreach (var keep in new[] { bytes.Length / 2, bytes.Length - 30, 10 })
        {
            var path = Write($"truncated-{keep}-{file}", bytes[..keep]);

            var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.LoadStateDict(path));

            Assert.Contains(path, error.Message);
        }
    }

    [Fact]
    public void FlippedByteInThePickle_IsReportedAsDamage()
    {
        var bytes = File.ReadAllBytes(TorchTestData.File("model.pth.tar-5"));
        var at = bytes.AsSpan().IndexOf("prompt_learner.ctx"u8);
        bytes[at + 15] ^= 0x01;
        var path = Write("flipped-pickle.pth.tar-5", bytes);

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.LoadStateDict(path));

        Assert.Equal($"{path} is damaged: its model.pth/data.pkl record does not match its CRC-32", error.Message);
    }

    [Fact]
    public void FlippedByteInAStorage_IsReportedAsDamage()
    {
        var path = Path.Combine(folder, "flipped-storage.pt");
        var pickle = new PickleBuilder().Proto().Tensor("FloatStorage", "0", 4, 0, [4], [1]).Op('.').ToArray();
        var data = new[] { 1.25f, 2.5f, 3.75f, 5f }.SelectMany(BitConverter.GetBytes).ToArray();
        PickleBuilder.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = data });
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.AsSpan().IndexOf(data) + 5] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path));

        Assert.Equal($"{path} is damaged: its archive/data/0 record does not match its CRC-32", error.Message);
    }

    [Fact]
    public void DamagedStorageRecord_GivesAnErrorNamingTheFile()
    {
        var path = Path.Combine(folder, "short-storage.pt");
        var pickle = new PickleBuilder().Proto().Tensor("FloatStorage", "0", 4, 0, [4], [1]).Op('.').ToArray();
        PickleBuilder.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = new byte[12] });

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("data/0", error.Message);
    }

    [Fact]
    public void MissingStorageRecord_GivesAnErrorNamingTheFile()
    {
        var path = Path.Combine(folder, "no-storage.pt");
        var pickle = new PickleBuilder().Proto().Tensor("FloatStorage", "3", 4, 0, [4], [1]).Op('.').ToArray();
        PickleBuilder.WriteTorchZip(path, pickle);

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("archive/data/3", error.Message);
    }

    [Theory]
    [InlineData(0, new[] { 5 }, new[] { 1 })]
    [InlineData(2, new[] { 3 }, new[] { 1 })]
    [InlineData(0, new[] { 2, 2 }, new[] { 3, 1 })]
    [InlineData(-1, new[] { 2 }, new[] { 1 })]
    [InlineData(0, new[] { 2 }, new[] { -1 })]
    public void ViewOutsideItsStorage_IsRejectedBeforeAnyRead(int offset, int[] size, int[] stride)
    {
        var path = Path.Combine(folder, "bad-view.pt");
        var pickle = new PickleBuilder().Proto().Tensor("FloatStorage", "0", 4, offset, size, stride).Op('.').ToArray();
        PickleBuilder.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = new byte[16] });

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void NotATorchFile_GivesAnErrorNamingIt()
    {
        var empty = Write("empty.pt", []);
        var text = Write("text.pt", "hello"u8.ToArray());
        var zipWithoutPickle = Path.Combine(folder, "other.zip");
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(zipWithoutPickle), System.IO.Compression.ZipArchiveMode.Create))
            zip.CreateEntry("readme.txt");

        Assert.Contains(empty, Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(empty)).Message);
        Assert.Contains(text, Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(text)).Message);
        var noPickle = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(zipWithoutPickle));
        Assert.Contains(zipWithoutPickle, noPickle.Message);
        Assert.Contains("data.pkl", noPickle.Message);
    }

    [Fact]
    public void MalformedPickle_GivesAnErrorNamingTheFileAndOffset()
    {
        var path = Path.Combine(folder, "stack.pt");
        PickleBuilder.WriteTorchZip(path, new PickleBuilder().Proto().Op('s').Op('.').ToArray());

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("pickle offset 2", error.Message);
    }

    [Fact]
    public void CheckpointWithoutStateDict_SaysWhatItHolds()
    {
        var path = Path.Combine(folder, "no-state-dict.pt");
        PickleBuilder.WriteTorchZip(path, new PickleBuilder().Proto().Op('}').String("epoch").Int(3).Op('s').Op('.').ToArray());

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.LoadStateDict(path));

        Assert.Contains("'state_dict'", error.Message);
        Assert.Contains("'epoch'", error.Message);
    }

    [Fact]
    public void ExponentiallyLargeKey_IsHashedQuickly()
    {
        // t0 = (); t(n+1) = (tn, tn) through the memo: 100 levels stand for 2**100 leaves.
        var pickle = new PickleBuilder().Proto().Op('}').Op(')');
        for (var level = 0; level < 100; level++)
            pickle.Op('q').Byte(0).Op('h').Byte(0).Op(0x86);
        pickle.Int(1).Op('s').Op('.');
        var path = Path.Combine(folder, "deep-key.pt");
        PickleBuilder.WriteTorchZip(path, pickle.ToArray());

        var started = System.Diagnostics.Stopwatch.StartNew();
        var dict = Assert.IsType<OrderedDictionary<object, object?>>(TorchCheckpointReader.Load(path));

        Assert.Single(dict);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
    }

    [Fact]
    public void DeeplyNestedLists_AreRejectedRatherThanOverflowingTheStack()
    {
        var pickle = new PickleBuilder().Proto();
        for (var level = 0; level < 100_000; level++)
            pickle.Op(']');
        for (var level = 0; level < 99_999; level++)
            pickle.Op('a');
        pickle.Op('.');
        var path = Path.Combine(folder, "deep-lists.pt");
        PickleBuilder.WriteTorchZip(path, pickle.ToArray());

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path));

        Assert.Contains(path, error.Message);
    }

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
