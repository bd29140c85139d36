using System.Buffers.Binary;
using Maple.Clip;
using Maple.Clip.Checkpoints;
using Maple.Clip.Safetensors;
using Maple.Clip.Weights;
using Maple.Tests.Import;
using Maple.Tests.Training;

namespace Maple.Tests.Checkpoints;

/// <summary>
/// Files built to hurt a reader: code that runs on load, declared sizes far beyond the file, nesting that
/// exhausts the stack, copies that exhaust memory. Each must be refused with one line naming the file,
/// without running anything and within a few hundred MB.
/// </summary>
public sealed class HostileFileTests
{
    // What a refusal may take above the memory in use before it: the readers' 64 MiB allowances and some slack.
    const long MemoryBound = 300L << 20;

    const string Marker = "/tmp/maple-torchscript-marker";

    static string HostileArchive => ImportTestData.File("hostile-setstate.pt");

    [Fact]
    public void TorchScriptArchiveWhoseSetStateWritesAFile_IsRefusedAndNothingRuns()
    {
        File.Delete(Marker);

        UnsafePickleException? refused = null;
        var growth = MemoryGrowth.Of(() => refused = Assert.Throws<UnsafePickleException>(() => TorchWeightsFile.ReadStateDict(HostileArchive))).PeakRssBytes;

        Assert.Equal(
            $"refused {HostileArchive}: its TorchScript class __torch__.Payload restores its state by running the archive's code (__setstate__), " +
            "and Maple never runs code from a file; save the weights with torch.save(model.state_dict()) or as safetensors", refused!.Message);
        Assert.Equal("__torch__.Payload.__setstate__", refused.GlobalName);
        Assert.False(File.Exists(Marker));
        Assert.InRange(growth, 0, MemoryBound);
    }

    [Fact]
    public void TorchScriptArchiveWhoseSetStateWritesAFile_IsRefusedAsAModel()
    {
        File.Delete(Marker);

        var refused = Assert.Throws<UnsafePickleException>(() => ClipModel.Load(HostileArchive, Precision.Fp32));

        Assert.StartsWith($"refused {HostileArchive}: its TorchScript class __torch__.Payload", refused.Message);
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public async Task ZeroStrideView_IsRefusedByImport()
    {
        using var temp = new TempFolder();
        var path = ZeroStrideCheckpoint(temp["zero-stride.pth.tar-5"]);
        var output = temp["prompt.safetensors"];

        (int Code, string Error) result = default;
        var growth = MemoryGrowth.Of(() => result = CliRunner.RunAsync("import", path, "--output", output).GetAwaiter().GetResult()).PeakRssBytes;

        Assert.Equal(1, result.Code);
        Assert.Equal($"error: {ZeroStrideMessage(path)}", result.Error?.Trim());
        Assert.False(File.Exists(output));
        Assert.InRange(growth, 0, MemoryBound);
    }

    [Fact]
    public void ZeroStrideView_IsRefusedAsAModel()
    {
        using var temp = new TempFolder();
        var path = ZeroStrideCheckpoint(temp["ViT-zero-stride.pt"]);

        InvalidDataException? error = null;
        var growth = MemoryGrowth.Of(() => error = Assert.Throws<InvalidDataException>(() => ClipModel.Load(path, Precision.Fp32))).PeakRssBytes;

        Assert.Equal(ZeroStrideMessage(path), error!.Message);
        Assert.InRange(growth, 0, MemoryBound);
    }

    [Fact]
    public void TupleNested25000DeepAsADictKey_IsRefusedWithoutOverflowingTheStack()
    {
        using var temp = new TempFolder();
        var pickle = new PickleBuilder().Proto().Op('}').Op(')');
        for (var i = 0; i < 25_000; i++)
            pickle.Op(0x85); // TUPLE1: wrap the tuple so far in another
        var path = temp["deep-key.pt"];
        PickleBuilder.WriteTorchZip(path, pickle.Op('N').Op('s').Op('.').ToArray());

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path));

        Assert.Equal($"{path} is not a readable torch checkpoint: a dict key or set member nests tuples deeper than 1000 levels (pickle offset 25005)",
            error.Message);
    }

    [Fact]
    public void PickleCopyingOneMemoisedBytesObject2000Times_IsStoppedByItsBudget()
    {
        using var temp = new TempFolder();
        var pickle = new PickleBuilder().Proto().Op(']');
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, 1 << 20);
        pickle.Op('B').Raw(length).Raw(new byte[1 << 20]).Op('q').Byte(0).Op('0'); // BINBYTES of 1 MiB, memoised as 0
        pickle.Global("builtins", "bytes").Op('q').Byte(1).Op('0'); // the global, memoised as 1
        for (var i = 0; i < 2000; i++)
            pickle.Op('h').Byte(1).Op('h').Byte(0).Op(0x85).Op('R').Op('a'); // list.append(bytes(memo[0]))
        var path = temp["memo-bytes.pt"];
        PickleBuilder.WriteTorchZip(path, pickle.Op('0').Op('.').ToArray());

        InvalidDataException? error = null;
        var growth = MemoryGrowth.Of(() => error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path))).PeakRssBytes;

        Assert.Equal(
            $"{path}: its pickle builds more than 128 MiB of objects from 1062608 bytes (it copies the same data again and again, " +
            "as no checkpoint does); if the file is trusted and this is expected, raise CheckpointLimits.PickleBytesPerInputByte", error!.Message);
        Assert.InRange(growth, 0, MemoryBound);
    }

    [Fact]
    public void RaisedLimits_LetTheMemoisedBytesPickleThrough()
    {
        using var temp = new TempFolder();
        var pickle = new PickleBuilder().Proto().Op(']');
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, 1 << 16);
        pickle.Op('B').Raw(length).Raw(new byte[1 << 16]).Op('q').Byte(0).Op('0');
        for (var i = 0; i < 3000; i++)
            pickle.Global("builtins", "bytes").Op('h').Byte(0).Op(0x85).Op('R').Op('a');
        var path = temp["memo-bytes.pt"];
        PickleBuilder.WriteTorchZip(path, pickle.Op('.').ToArray());

        Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path));
        var list = Assert.IsType<List<object?>>(TorchCheckpointReader.Load(path, new CheckpointLimits { PickleBytesPerInputByte = 4096 }));

        Assert.Equal(3000, list.Count);
        Assert.All(list, item => Assert.Equal(1 << 16, Assert.IsType<byte[]>(item).Length));
    }

    [Fact]
    public void ManyCopiedViewsOfOneStorage_AreStoppedByTheTensorBudget()
    {
        using var temp = new TempFolder();
        // 100 transposes of one 4 MB storage: each copy is legal on its own, together they would take 400 MB.
        var pickle = new PickleBuilder().Proto().Op(']').Mark();
        for (var i = 0; i < 100; i++)
            pickle.Tensor("FloatStorage", "0", 1_000_000, 0, [1000, 1000], [1, 1000]);
        var path = temp["transposes.pt"];
        PickleBuilder.WriteTorchZip(path, pickle.Op('e').Op('.').ToArray(), new Dictionary<string, byte[]> { ["0"] = new byte[4_000_000] });

        InvalidDataException? error = null;
        var growth = MemoryGrowth.Of(() => error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path))).PeakRssBytes;

        Assert.Equal($"{path}: reading its tensors needs more than 79 MiB (at a view of size [1000, 1000] on storage '0'), more than a file " +
            "of its size can hold; if the file is trusted and this is expected, raise CheckpointLimits.TensorBytesPerFileByte", error!.Message);
        Assert.InRange(growth, 0, MemoryBound);
    }

    [Fact]
    public void PickleRecordThatDecompressesPastTheLimit_IsRefusedBeforeItIsRead()
    {
        using var temp = new TempFolder();
        var path = temp["deflated.pt"];
        var pickle = new PickleBuilder().Proto().Op(']').Mark().Raw([.. Enumerable.Repeat((byte)'N', 100_000)]).Op('e').Op('.').ToArray();
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(path), System.IO.Compression.ZipArchiveMode.Create))
        {
            using var record = zip.CreateEntry("archive/data.pkl", System.IO.Compression.CompressionLevel.Optimal).Open();
            record.Write(pickle);
        }
        var limits = new CheckpointLimits { MaxRecordBytes = 64 << 10 };

        var error = Assert.Throws<InvalidDataException>(() => TorchCheckpointReader.Load(path, limits));

        Assert.Equal($"{path}: its archive/data.pkl record is 100006 bytes, more than the 65536 bytes a pickle or code record may take; " +
            "if the file is trusted and this is expected, raise CheckpointLimits.MaxRecordBytes", error.Message);
        var list = Assert.IsType<List<object?>>(TorchCheckpointReader.Load(path));
        Assert.Equal(100_000, list.Count);
    }

    [Fact]
    public void SafetensorsWithOverlappingTensors_IsRefused()
    {
        using var temp = new TempFolder();
        var path = SafetensorsWithHeader(temp["overlap.safetensors"],
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16);

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));

        Assert.Equal($"{path}: tensors 'a' and 'b' share bytes 8..16: the file is damaged", error.Message);
    }

    [Fact]
    public void SafetensorsWithAShapeWhoseProductOverflows_IsRefused()
    {
        using var temp = new TempFolder();
        // 2^32 * 2^32 wraps to 0 in 64 bits, which matched the empty data range before the product was checked.
        var path = SafetensorsWithHeader(temp["overflow.safetensors"],
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0);

        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));

        Assert.Equal($"{path}: tensor 'a' declares shape [4294967296, 4294967296], too large to address: the file is damaged", error.Message);
    }

    static string SafetensorsWithHeader(string path, string header, int dataBytes)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(header);
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, text.Length);
        File.WriteAllBytes(path, [.. length, .. text, .. new byte[dataBytes]]);
        return path;
    }

    // A 1.2 KB torch.save file whose only tensor is one float seen through strides [0, 0] as [100000, 10000]
    // (4 GB if copied out), under the name of MaPLe's first prompt.
    static string ZeroStrideCheckpoint(string path)
    {
        var pickle = new PickleBuilder().Proto().Op('}').String("prompt_learner.ctx")
            .Tensor("FloatStorage", "0", 1, 0, [100_000, 10_000], [0, 0]).Op('s').Op('.').ToArray();
        PickleBuilder.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = BitConverter.GetBytes(0.5f) });
        return path;
    }

    static string ZeroStrideMessage(string path) =>
        $"{path}: state dict entry 'prompt_learner.ctx' of size [100000, 10000] is a view with more elements than its storage " +
        "(zero or overlapping strides, as expand() makes); save it with .contiguous() or .clone()";
}
